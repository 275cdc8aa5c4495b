import fs from "node:fs";
import tls from "node:tls";
import type { DaemonConfig } from "./config.js";

/** What the TCP listener's `http2.createSecureServer` needs. */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
}

/**
 * Reads the certificate and key files and checks that they form a usable pair, so a bad file
 * stops the start with a message naming it instead of failing on the first connection.
 */
export function loadTls(files: NonNullable<DaemonConfig["tls"]>): TlsMaterial {
  const cert = readPem(files.certFile, "--tls-cert");
  const key = readPem(files.keyFile, "--tls-key");
  try {
    tls.createSecureContext({ cert, key });
  } catch (error) {
    const reason = (error as Error).message;
    throw new Error(`cannot use --tls-cert ${files.certFile} with --tls-key ${files.keyFile}: ${reason} (both must be PEM, and the key must belong to the certificate)`);
  }
  return { cert, key };
}

function readPem(file: string, flag: string): Buffer {
  let pem: Buffer;
  try {
    pem = fs.readFileSync(file);
  } catch (error) {
    throw new Error(`cannot read ${flag} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (!pem.includes("-----BEGIN ")) throw new Error(`${flag} ${file} is not a PEM file (no "-----BEGIN" line)`);
  return pem;
}
