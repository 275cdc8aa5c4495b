import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { readTokenFile } from "../shared/token.js";

/** The token file the daemon writes into its home when it needs a token and was given none. */
export function homeTokenFile(home: string): string {
  return path.join(home, "token");
}

/**
 * The token guarding the dashboard: the daemon's own (--token-file, CLAUDE_COMMS_TOKEN), else
 * the one in the home's `token` file, created (mode 0600, 256 random bits) when missing. The
 * dashboard is TCP, so it never runs without one.
 */
export function dashboardToken(configured: string | undefined, home: string): string {
  if (configured) return configured;
  const file = homeTokenFile(home);
  try {
    fs.writeFileSync(file, `${crypto.randomBytes(32).toString("hex")}\n`, { flag: "wx", mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  return readTokenFile(file, "the home's token file");
}
