import http2 from "node:http2";
import net from "node:net";
import { create, toBinary } from "@bufbuild/protobuf";
import { WatchMessageRequestSchema } from "../../gen/claude_comms/v1/polling_service_pb.js";

/*
 * A lean gRPC streaming client over raw node:http2 for the benchmarks that hold thousands
 * of streams or count hundreds of thousands of messages: it frames the request once and
 * only splits the response into length-prefixed messages (no protobuf decoding unless
 * asked), so the client process is never what limits the server being measured.
 */

const WATCH_PATH = "/claude_comms.v1.PollingService/WatchMessage";

/** An HTTP/2 session to a Unix socket, with windows large enough not to throttle streams. */
export function connectSession(socket: string): http2.ClientHttp2Session {
  const session = http2.connect("http://localhost", {
    createConnection: () => net.connect(socket),
    settings: { initialWindowSize: 1 << 20, maxConcurrentStreams: 100_000 },
  });
  session.on("connect", () => session.setLocalWindowSize(64 << 20));
  session.on("error", () => undefined);
  return session;
}

/** A length-prefixed gRPC message. */
export function grpcFrame(body: Uint8Array): Buffer {
  const frame = Buffer.alloc(5 + body.length);
  frame.writeUInt32BE(body.length, 1);
  frame.set(body, 5);
  return frame;
}

/** One open watch stream. */
export interface WatchStream {
  /** Messages received so far. */
  count: number;
  /** Resolves with the grpc-status (string) when the stream ends. */
  ended: Promise<string>;
  /** The last message's bytes (a copy), for checking what arrived. */
  last(): Uint8Array | undefined;
  close(): void;
}

/** Opens WatchMessage for `messageId`; `onMessage(stream)` runs after each message. */
export function openWatch(
  session: http2.ClientHttp2Session,
  messageId: string,
  onMessage?: (stream: WatchStream) => void,
): WatchStream {
  const req = session.request({
    ":method": "POST",
    ":path": WATCH_PATH,
    "content-type": "application/grpc+proto",
    te: "trailers",
  });
  req.end(grpcFrame(toBinary(WatchMessageRequestSchema, create(WatchMessageRequestSchema, { messageId }))));
  let pending: Buffer | undefined;
  let lastMessage: Uint8Array | undefined;
  let status = "";
  const stream: WatchStream = {
    count: 0,
    ended: new Promise((resolve) => {
      req.on("trailers", (trailers) => (status = String(trailers["grpc-status"] ?? "")));
      req.on("response", (headers) => (status ||= String(headers["grpc-status"] ?? "")));
      req.on("close", () => resolve(status || "closed"));
      req.on("error", () => undefined);
    }),
    last: () => lastMessage,
    close: () => req.close(http2.constants.NGHTTP2_CANCEL),
  };
  req.on("data", (chunk: Buffer) => {
    const buf = pending ? Buffer.concat([pending, chunk]) : chunk;
    let off = 0;
    while (buf.length - off >= 5) {
      const len = buf.readUInt32BE(off + 1);
      if (buf.length - off < 5 + len) break;
      lastMessage = buf.subarray(off + 5, off + 5 + len);
      off += 5 + len;
      stream.count++;
      onMessage?.(stream);
    }
    if (lastMessage) lastMessage = Uint8Array.from(lastMessage);
    pending = off < buf.length ? buf.subarray(off) : undefined;
  });
  return stream;
}
