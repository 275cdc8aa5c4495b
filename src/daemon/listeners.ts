import fs from "node:fs";
import type { AnyHttp2Server } from "./server.js";

/** A bound listener and how to close it. */
export interface Listener {
  /** "unix:/path" or "host:port". */
  address: string;
  close(): Promise<void>;
}

/** Listens on a Unix socket (mode 0600), replacing a stale socket file left by a crash. */
export async function listenUnix(server: AnyHttp2Server, socketPath: string): Promise<Listener> {
  fs.rmSync(socketPath, { force: true });
  const previous = process.umask(0o177); // the socket is created 0600, never briefly wider
  try {
    await bind(server, (done) => server.listen(socketPath, done));
  } finally {
    process.umask(previous);
  }
  fs.chmodSync(socketPath, 0o600);
  return {
    address: `unix:${socketPath}`,
    close: async () => {
      await closeServer(server);
      fs.rmSync(socketPath, { force: true });
    },
  };
}

/** Listens on TCP; port 0 picks a free port (the address says which). Bind errors say what to change. */
export async function listenTcp(server: AnyHttp2Server, host: string, port: number): Promise<Listener> {
  try {
    await bind(server, (done) => server.listen(port, host, done));
  } catch (error) {
    throw bindError(error as NodeJS.ErrnoException, host, port);
  }
  const bound = server.address();
  const actualPort = typeof bound === "object" && bound ? bound.port : port;
  const shown = host.includes(":") ? `[${host}]` : host;
  return { address: `${shown}:${actualPort}`, close: () => closeServer(server) };
}

function bindError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  const where = `${host.includes(":") ? `[${host}]` : host}:${port}`;
  const hints: Record<string, string> = {
    EADDRINUSE: `cannot listen on ${where}: another process listens there (pick another port, or port 0 for a free one)`,
    EADDRNOTAVAIL: `cannot listen on ${where}: no network interface of this machine has that address (0.0.0.0 means every interface)`,
    EACCES: `cannot listen on ${where}: permission denied (ports below 1024 need privileges)`,
    ENOTFOUND: `cannot listen on ${where}: host name "${host}" does not resolve`,
  };
  return new Error(hints[error.code ?? ""] ?? `cannot listen on ${where}: ${error.message}`, { cause: error });
}

function bind(server: AnyHttp2Server, listen: (done: () => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    listen(() => {
      server.off("error", reject);
      resolve();
    });
  });
}

function closeServer(server: AnyHttp2Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
