import type http2 from "node:http2";
import { fromBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { percentEncoded } from "./unknown-method.js";

/*
 * The gRPC wire, for the fast paths beneath the Connect-Node router (grpc-watch.ts,
 * grpc-unary.ts): which requests they take, the request's one envelope, the response's
 * frames and trailers, answered as Connect answers them.
 */

/**
 * True for a plain gRPC call: POST, protobuf, uncompressed, no grpc-timeout. Anything else
 * (gRPC-Web, Connect, JSON, a compressed request, a deadline) stays on the generic path.
 */
export function isPlainGrpc(headers: http2.IncomingHttpHeaders): boolean {
  if (headers[":method"] !== "POST") return false;
  const type = headers["content-type"];
  if (type !== "application/grpc" && type !== "application/grpc+proto") return false;
  const encoding = headers["grpc-encoding"];
  return (encoding === undefined || encoding === "identity") && headers["grpc-timeout"] === undefined;
}

// The request: one length-prefixed message, uncompressed (isGrpcWatch), within the limit.
export function readEnvelope(req: http2.Http2ServerRequest, maxBytes: number, kind: MethodKind): Promise<Uint8Array> {
  // Stream events rather than an async iterator: one less object and promise chain per call.
  return new Promise<Uint8Array>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (error: unknown, bytes?: Uint8Array) => {
      req.off("data", onData).off("end", onEnd).off("error", settle).off("close", onClose);
      if (error) reject(error);
      else resolve(bytes!);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.byteLength;
      if (size >= 5 && chunks[0]!.byteLength < 5) chunks.splice(0, chunks.length, Buffer.concat(chunks));
      const declared = size >= 5 ? chunks[0]!.readUInt32BE(1) : 0;
      if (declared > maxBytes) settle(new ConnectError(`message size ${declared} is larger than configured readMaxBytes ${maxBytes}`, Code.ResourceExhausted));
      // A second envelope's header has arrived: stop buffering, the call has one message.
      else if (size >= 5 + declared + 5) settle(extraMessage(kind));
    };
    const onEnd = () => {
      try {
        settle(undefined, envelopeMessage(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), kind));
      } catch (err) {
        settle(err);
      }
    };
    // Closed before its end: the client left (reset its stream), as the interceptors know it.
    const onClose = () => settle(Object.assign(new Error("the request stream closed before its end"), { code: "ERR_STREAM_PREMATURE_CLOSE" }));
    req.on("data", onData).once("end", onEnd).once("error", settle).once("close", onClose);
  });
}

/** How Connect names the method kinds in its protocol errors. */
export type MethodKind = "unary" | "server-streaming";

const extraMessage = (kind: MethodKind) => new ConnectError(`protocol error: received extra input message for ${kind} method`, Code.Unimplemented);

// The message of a complete request body: exactly one envelope, uncompressed, answered as
// Connect answers (only flag bit 0 means compressed; other flag bits are ignored).
function envelopeMessage(all: Buffer, kind: MethodKind): Uint8Array {
  if (all.byteLength === 0) throw new ConnectError(`protocol error: missing input message for ${kind} method`, Code.Unimplemented);
  if (all.byteLength < 5) throw new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument);
  const declared = all.readUInt32BE(1);
  if (all.byteLength < 5 + declared) throw new ConnectError(`protocol error: promised ${declared} bytes, received ${all.byteLength - 5}`, Code.InvalidArgument);
  if ((all[0]! & 0x01) === 0x01) throw new ConnectError("received compressed envelope, but do not know how to decompress", Code.Internal);
  if (all.byteLength > 5 + declared) {
    // Trailing bytes: a second envelope, or the start of one.
    if (all.byteLength < 5 + declared + 5) throw new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument);
    throw extraMessage(kind);
  }
  return all.subarray(5);
}

export function decode<I extends DescMessage>(schema: I, bytes: Uint8Array): MessageShape<I> {
  try {
    return fromBinary(schema, bytes);
  } catch (err) {
    throw new ConnectError(`parse binary: ${err instanceof Error ? err.message : String(err)}`, Code.Internal);
  }
}

/** One response message as a gRPC frame (uncompressed). */
export function frame(payload: Uint8Array): Buffer {
  const bytes = Buffer.allocUnsafe(5 + payload.byteLength);
  bytes[0] = 0;
  bytes.writeUInt32BE(payload.byteLength, 1);
  bytes.set(payload, 5);
  return bytes;
}

/** Sends the response headers (once) before the first frame. */
export function respondOnce(stream: http2.ServerHttp2Stream): void {
  if (!stream.headersSent) stream.respond({ ":status": 200, "content-type": "application/grpc+proto" }, { waitForTrailers: true });
}

function errorTrailers(error: ConnectError): Record<string, string> {
  const trailers: Record<string, string> = {};
  setTrailerStatus(new Headers(), error).forEach((value, key) => (trailers[key] = value));
  // The spec's percent-encoding (Connect encodes as a URI component, which grpc-js and
  // grpc-go leave partly encoded: "%3A"); every gRPC client decodes this one.
  trailers["grpc-message"] = percentEncoded(error.rawMessage);
  return trailers;
}

// Ends the call with its status in trailers (or trailers-only when nothing was sent), the
// same fields Connect sets: grpc-status, grpc-message and the error's metadata (x-last-seq).
export function finish(res: http2.Http2ServerResponse, error: ConnectError | undefined): void {
  const stream = res.stream;
  if (stream.destroyed || stream.closed) return;
  // Success is grpc-status 0 alone (what Connect sets too), without a Headers object per call.
  const trailers: Record<string, string> = error ? errorTrailers(error) : { "grpc-status": "0" };
  if (!stream.headersSent) {
    stream.respond({ ":status": 200, "content-type": "application/grpc+proto", ...trailers }, { endStream: true });
    return;
  }
  // The compatibility response sends its trailers when the stream asks for them.
  res.addTrailers(trailers);
  stream.end();
}
