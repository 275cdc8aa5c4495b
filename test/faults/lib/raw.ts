import http2 from "node:http2";
import net from "node:net";

/*
 * A bare node:http2 client for the fault tests: hand-made frames and bodies, and direct
 * control of the connection's socket.
 */

/** A client HTTP/2 session over a Unix socket, with the socket itself (to destroy it). */
export function rawSession(socketPath: string): { session: http2.ClientHttp2Session; socket: net.Socket } {
  let socket: net.Socket | undefined;
  const session = http2.connect("http://localhost", {
    createConnection: () => (socket = net.connect(socketPath)),
  });
  session.on("error", () => undefined);
  return { session, socket: socket! };
}

/** A gRPC length-prefixed message: flag byte, 4-byte length (default: the payload's), payload. */
export function envelope(payload: Uint8Array, flag = 0, declaredLength = payload.byteLength): Buffer {
  const head = Buffer.alloc(5);
  head[0] = flag;
  head.writeUInt32BE(declaredLength, 1);
  return Buffer.concat([head, payload]);
}

/** What came back for one request. */
export interface RawResponse {
  status?: number;
  headers: http2.IncomingHttpHeaders;
  trailers: http2.IncomingHttpHeaders;
  body: Buffer;
  /** RST_STREAM code when the stream was reset (0 when it closed normally). */
  rstCode: number;
  error?: string;
}

/** Sends one request (headers, optional body) and collects the whole response. */
export function rawRequest(
  session: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  body?: Uint8Array,
  timeoutMs = 10_000,
): Promise<RawResponse> {
  return new Promise((resolve) => {
    const stream = session.request({ ":method": "POST", ...headers });
    const res: RawResponse = { headers: {}, trailers: {}, body: Buffer.alloc(0), rstCode: 0 };
    const timer = setTimeout(() => stream.close(http2.constants.NGHTTP2_CANCEL), timeoutMs);
    stream.on("response", (h) => ((res.headers = h), (res.status = Number(h[":status"]))));
    stream.on("trailers", (t) => (res.trailers = t));
    stream.on("data", (d: Buffer) => (res.body = Buffer.concat([res.body, d])));
    stream.on("error", (e) => (res.error = e.message));
    stream.on("close", () => {
      clearTimeout(timer);
      res.rstCode = stream.rstCode ?? 0;
      resolve(res);
    });
    if (body === undefined) stream.end();
    else stream.end(Buffer.from(body));
  });
}

/** Opens a request and resolves once its response headers arrived (the stream stays open). */
export function openStream(session: http2.ClientHttp2Session, path: string, body: Uint8Array, waitForHeaders: boolean): Promise<http2.ClientHttp2Stream> {
  const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" });
  stream.on("error", () => undefined);
  stream.end(envelope(body));
  if (!waitForHeaders) return Promise.resolve(stream);
  return new Promise((resolve) => {
    stream.once("response", () => resolve(stream));
    stream.once("close", () => resolve(stream));
  });
}
