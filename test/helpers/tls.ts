import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { requireTool } from "./require-tool.js";

/** Files of a self-signed test certificate (also its own CA) and a token file. */
export interface TestCredentials {
  cert: string;
  key: string;
  token: string;
  tokenFile: string;
}

/**
 * Makes a self-signed P-256 certificate for 127.0.0.1 and localhost (CN and SAN) with the
 * openssl CLI, and a random bearer token in a file (mode 0600), all in `dir`.
 */
export function makeTestCredentials(dir: string, name = "daemon"): TestCredentials {
  const cert = path.join(dir, `${name}-cert.pem`);
  const key = path.join(dir, `${name}-key.pem`);
  execFileSync(requireTool("openssl", "openssl"), [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
    "-keyout", key, "-out", cert,
  ], { stdio: "pipe", timeout: 20_000 });
  const token = crypto.randomBytes(24).toString("hex");
  const tokenFile = path.join(dir, `${name}-token`);
  fs.writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
  return { cert, key, token, tokenFile };
}
