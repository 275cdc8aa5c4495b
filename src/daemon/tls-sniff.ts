import net from "node:net";

// A TLS connection starts with a handshake record (content type 22); HTTP/2 cleartext with "PRI".
const TLS_HANDSHAKE = 0x16;
// How long a new connection may stay silent before its first byte decides where it goes.
const FIRST_BYTE_TIMEOUT_MS = 10_000;

/** Where {@link createSniffingServer} hands each connection. */
export interface SniffTargets {
  /** Receives connections that start a TLS handshake. */
  tls: net.Server;
  /** Receives every other connection (a plaintext client, to be told to use TLS). */
  plain: net.Server;
}

/**
 * A TCP server that reads the first bytes of each connection, puts them back, and hands the
 * connection to `tls` or `plain` by whether it starts a TLS handshake. This lets a TLS
 * listener answer a plaintext gRPC client with a readable error instead of a reset.
 */
export function createSniffingServer(targets: SniffTargets): net.Server {
  return net.createServer((socket) => {
    socket.setTimeout(FIRST_BYTE_TIMEOUT_MS, () => socket.destroy());
    socket.on("error", () => socket.destroy()); // a client gone before its first byte
    socket.once("readable", () => {
      const head = socket.read() as Buffer | null;
      if (!head) return void socket.destroy();
      socket.setTimeout(0);
      socket.removeAllListeners("error");
      socket.unshift(head);
      (head[0] === TLS_HANDSHAKE ? targets.tls : targets.plain).emit("connection", socket);
    });
  });
}
