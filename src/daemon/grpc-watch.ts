import http2 from "node:http2";
import { fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import {
  WatchMessageRequestSchema,
  WatchMessageResponseSchema,
  WatchMessagesRequestSchema,
  WatchMessagesResponseSchema,
} from "../../gen/claude_comms/v1/polling_service_pb.js";
import type { ServiceContext } from "../service/context.js";
import type { Peer } from "../service/peer.js";
import { watchMessageOpener, watchMessagesOpener } from "../service/polling-service.js";
import type { OpenWatch } from "../service/watch.js";
import { PushFollower } from "../service/watch-push.js";
import { reportError } from "./interceptors.js";
import type { Logger } from "./logger.js";
import { percentEncoded } from "./unknown-method.js";

/*
 * The gRPC fast path for the two watch streams, beneath the Connect-Node router. Connect's
 * generic streaming path costs several async-iterable layers and one serialisation per
 * message per watcher; here each event's framed bytes are encoded once (the hub shares the
 * response object among its watchers) and, once the watch's start is sent, written straight
 * to every HTTP/2 stream from within the hub's publish (PushFollower), with no generator,
 * promise or timer per stream: a stream whose buffer is full takes nothing more until it
 * drains, its events waiting in its bounded hub queue meanwhile. Validation, authentication,
 * error mapping and logging are the Connect path's own functions, so both answer alike.
 * Anything unusual for a watch (a compressed request, a grpc-timeout, another content type)
 * stays on the generic path.
 */

/** What the fast path needs from the daemon. */
export interface GrpcWatchOptions {
  ctx: ServiceContext;
  log: Logger;
  maxRequestBytes: number;
  /** Throws UnauthenticatedError when the peer needs a token and has none (auth.ts). */
  authorize?: (peer: Peer, authorization: string | null) => void;
  /** Told how each call ended ("service/Method", the error or undefined): the metrics. */
  ended?: (method: string, error: ConnectError | undefined) => void;
}

interface Route<I extends DescMessage, O extends DescMessage> {
  name: string;
  input: I;
  output: O;
  /** Validates the request (throws) and returns what opens its watch. */
  opener(ctx: ServiceContext, req: MessageShape<I>): () => OpenWatch<MessageShape<O>>;
}

const ROUTES = new Map<string, Route<DescMessage, DescMessage>>([
  ["/claude_comms.v1.PollingService/WatchMessage", { name: "WatchMessage", input: WatchMessageRequestSchema, output: WatchMessageResponseSchema, opener: watchMessageOpener } as Route<DescMessage, DescMessage>],
  ["/claude_comms.v1.PollingService/WatchMessages", { name: "WatchMessages", input: WatchMessagesRequestSchema, output: WatchMessagesResponseSchema, opener: watchMessagesOpener } as Route<DescMessage, DescMessage>],
]);

/** True when the request is a plain gRPC watch call the fast path serves. */
export function isGrpcWatch(headers: http2.IncomingHttpHeaders): boolean {
  if (headers[":method"] !== "POST" || !ROUTES.has(String(headers[":path"]))) return false;
  const type = headers["content-type"];
  if (type !== "application/grpc" && type !== "application/grpc+proto") return false;
  const encoding = headers["grpc-encoding"];
  return (encoding === undefined || encoding === "identity") && headers["grpc-timeout"] === undefined;
}

/** Serves one gRPC watch call (isGrpcWatch said yes) on its HTTP/2 stream. */
export async function serveGrpcWatch(req: http2.Http2ServerRequest, res: http2.Http2ServerResponse, peer: Peer, options: GrpcWatchOptions): Promise<void> {
  const { stream, headers } = req;
  const route = ROUTES.get(String(headers[":path"]))!;
  const controller = new AbortController();
  stream.once("close", () => controller.abort(new ConnectError("the client left", Code.Canceled)));
  stream.on("error", () => undefined); // a reset stream is the client's leaving
  let error: ConnectError | undefined;
  try {
    const authorization = headers.authorization;
    options.authorize?.(peer, typeof authorization === "string" ? authorization : null);
    const input = decode(route.input, await readEnvelope(req, options.maxRequestBytes));
    await follow(stream, route.opener(options.ctx, input), route.output, options.ctx, controller.signal);
  } catch (err) {
    error = reportError(options.log, err, route.name, controller.signal);
  }
  options.ended?.(String(headers[":path"]).slice(1), error);
  finish(res, error);
}

// The request: one length-prefixed message, uncompressed (isGrpcWatch), within the limit.
async function readEnvelope(req: http2.Http2ServerRequest, maxBytes: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.byteLength;
    if (size >= 5 && chunks[0]!.byteLength < 5) chunks.splice(0, chunks.length, Buffer.concat(chunks));
    const declared = size >= 5 ? chunks[0]!.readUInt32BE(1) : 0;
    if (declared > maxBytes) throw new ConnectError(`message size ${declared} is larger than configured readMaxBytes ${maxBytes}`, Code.ResourceExhausted);
  }
  const all = Buffer.concat(chunks);
  if (all.byteLength < 5) throw new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument);
  if (all[0] !== 0) throw new ConnectError("received compressed envelope, but do not know how to decompress", Code.Internal);
  const declared = all.readUInt32BE(1);
  if (all.byteLength !== 5 + declared) throw new ConnectError(`protocol error: promised ${declared} bytes, received ${all.byteLength - 5}`, Code.InvalidArgument);
  return all.subarray(5);
}

function decode<I extends DescMessage>(schema: I, bytes: Uint8Array): MessageShape<I> {
  try {
    return fromBinary(schema, bytes);
  } catch (err) {
    throw new ConnectError(`parse binary: ${err instanceof Error ? err.message : String(err)}`, Code.Internal);
  }
}

/** Framed bytes of each shared response object, encoded once for all its watchers. */
const framedCache = new WeakMap<object, Buffer>();

function framed(schema: DescMessage, message: MessageShape<DescMessage>): Buffer {
  let bytes = framedCache.get(message);
  if (!bytes) {
    const payload = toBinary(schema, message);
    bytes = Buffer.allocUnsafe(5 + payload.byteLength);
    bytes[0] = 0;
    bytes.writeUInt32BE(payload.byteLength, 1);
    bytes.set(payload, 5);
    framedCache.set(message, bytes);
  }
  return bytes;
}

// Streams whose writes of this turn are corked, uncorked together after it: the responses a
// publish round writes to one stream go out in one write (fewer DATA frames and syscalls).
const corked = new Set<http2.ServerHttp2Stream>();
const uncorkAll = () => {
  for (const stream of corked) stream.uncork();
  corked.clear();
};

// Writes one response, headers before the first; false when the stream's buffer is full.
function write(stream: http2.ServerHttp2Stream, schema: DescMessage, response: MessageShape<DescMessage>): boolean {
  if (!stream.headersSent) stream.respond({ ":status": 200, "content-type": "application/grpc+proto" }, { waitForTrailers: true });
  if (!stream.writableCorked) {
    if (!corked.size) setImmediate(uncorkAll);
    corked.add(stream);
    stream.cork();
  }
  return stream.write(framed(schema, response));
}

// Sends the watch's start (waiting for drain when the buffer fills), then pushes its live
// events until it ends; unsubscribes however it ends.
async function follow(
  stream: http2.ServerHttp2Stream,
  open: () => OpenWatch<MessageShape<DescMessage>>,
  schema: DescMessage,
  ctx: ServiceContext,
  signal: AbortSignal,
): Promise<void> {
  const watch = open();
  try {
    const start = watch.start();
    let lastSeq: number | undefined;
    for (;;) {
      const next = await start.next();
      if (signal.aborted) throw signal.reason;
      if (next.done) {
        lastSeq = next.value;
        break;
      }
      if (!write(stream, schema, next.value)) await drained(stream, signal);
    }
    if (lastSeq === undefined) return;
    const follower = new PushFollower(ctx, watch, lastSeq, { write: (response) => write(stream, schema, response) });
    const onDrain = () => follower.drained();
    stream.on("drain", onDrain);
    try {
      await follower.run(signal);
    } finally {
      stream.off("drain", onDrain);
    }
  } finally {
    watch.close();
  }
}

function drained(stream: http2.ServerHttp2Stream, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => (stream.off("drain", done), signal.removeEventListener("abort", aborted), resolve());
    const aborted = () => (stream.off("drain", done), reject(signal.reason));
    stream.on("drain", done);
    signal.addEventListener("abort", aborted, { once: true });
  });
}

// Ends the call with its status in trailers (or trailers-only when nothing was sent), the
// same fields Connect sets: grpc-status, grpc-message and the error's metadata (x-last-seq).
function finish(res: http2.Http2ServerResponse, error: ConnectError | undefined): void {
  const stream = res.stream;
  if (stream.destroyed || stream.closed) return;
  const trailers: Record<string, string> = {};
  setTrailerStatus(new Headers(), error).forEach((value, key) => (trailers[key] = value));
  // The spec's percent-encoding (Connect encodes as a URI component, which grpc-js and
  // grpc-go leave partly encoded: "%3A"); every gRPC client decodes this one.
  if (error) trailers["grpc-message"] = percentEncoded(error.rawMessage);
  if (!stream.headersSent) {
    stream.respond({ ":status": 200, "content-type": "application/grpc+proto", ...trailers }, { endStream: true });
    return;
  }
  // The compatibility response sends its trailers when the stream asks for them.
  res.addTrailers(trailers);
  stream.end();
}
