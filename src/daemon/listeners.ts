import fs from "node:fs";
import type http2 from "node:http2";

/** A bound listener and how to close it. */
export interface Listener {
  /** "unix:/path" or "host:port". */
  address: string;
  close(): Promise<void>;
}

/** Listens on a Unix socket (mode 0600), replacing a stale socket file left by a crash. */
export async function listenUnix(server: http2.Http2Server, socketPath: string): Promise<Listener> {
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

/** Listens on TCP; port 0 picks a free port (the address says which). */
export async function listenTcp(server: http2.Http2Server, host: string, port: number): Promise<Listener> {
  await bind(server, (done) => server.listen(port, host, done));
  const bound = server.address();
  const actualPort = typeof bound === "object" && bound ? bound.port : port;
  const shown = host.includes(":") ? `[${host}]` : host;
  return { address: `${shown}:${actualPort}`, close: () => closeServer(server) };
}

function bind(server: http2.Http2Server, listen: (done: () => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    listen(() => {
      server.off("error", reject);
      resolve();
    });
  });
}

function closeServer(server: http2.Http2Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
