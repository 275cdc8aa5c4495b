import crypto from "node:crypto";
import fs from "node:fs";
import { readTokenFile } from "../common/token.js";

/** Random bytes in a generated token (43 base64url characters). */
const TOKEN_BYTES = 32;

/**
 * The bearer token of a daemon started without one: read from `file` (`<home>/token`) when
 * a previous start left it there, private and ours; otherwise generated (32 random bytes,
 * base64url) into it, 0600, so that clients of the same user on this host can read it and
 * nobody else can. A file that is not private (a group or other bit, another owner, not a
 * regular file) is replaced: whoever could read it may know the token.
 */
export function homeToken(file: string): string {
  const existing = readPrivateToken(file);
  if (existing) return existing;
  const token = crypto.randomBytes(TOKEN_BYTES).toString("base64url");
  // Written whole under a temporary name and renamed: a client never reads half a token.
  const temporary = `${file}.${process.pid}.tmp`;
  fs.rmSync(temporary, { force: true });
  fs.writeFileSync(temporary, `${token}\n`, { mode: 0o600, flag: "wx" });
  fs.renameSync(temporary, file);
  return token;
}

function readPrivateToken(file: string): string | undefined {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(file);
  } catch {
    return undefined;
  }
  const mine = stat.isFile() && stat.uid === process.getuid?.() && (stat.mode & 0o077) === 0;
  if (!mine) return undefined;
  try {
    return readTokenFile(file, "the home's token file");
  } catch {
    return undefined;
  }
}
