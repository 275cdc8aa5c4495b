import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";

type Fallback = NonNullable<ConnectNodeAdapterOptions["fallback"]>;

/**
 * Answers a request for a path no service serves: UNIMPLEMENTED in the caller's protocol,
 * with a message naming the path and how to list what the daemon does serve (instead of a
 * bare HTTP 404 that clients can only guess at). gRPC and gRPC-Web over HTTP/2 get a
 * trailers-only response; anything else Connect's JSON error with HTTP 404.
 */
export const answerUnknownMethod: Fallback = (req, res) => {
  const path = (req.url ?? "").split("?", 1)[0] ?? "";
  const message =
    `unknown method ${path}: this daemon does not serve it; ` +
    "list the services it does serve through gRPC reflection (grpcurl ... list, buf curl --list-methods)";
  const type = String(req.headers["content-type"] ?? "");
  if (type.startsWith("application/grpc") && "stream" in res) {
    // Trailers-only: one HEADERS frame that ends the stream (gRPC clients read the status
    // only from a frame that ends it).
    res.stream.respond(
      {
        ":status": 200,
        "content-type": type.startsWith("application/grpc-web") ? "application/grpc-web+proto" : "application/grpc",
        "grpc-status": "12",
        "grpc-message": percentEncoded(message),
      },
      { endStream: true },
    );
  } else {
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ code: "unimplemented", message }));
  }
};

/** grpc-message as the gRPC spec encodes it: bytes outside printable ASCII, and "%", as %XX. */
export function percentEncoded(text: string): string {
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}
