import type http2 from "node:http2";
import { toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
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
import { decode, finish, frame, isPlainGrpc, readEnvelope, respondOnce } from "./grpc-wire.js";
import { reportError } from "./interceptors.js";
import type { Logger } from "./logger.js";

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
  return ROUTES.has(String(headers[":path"])) && isPlainGrpc(headers);
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
    const input = decode(route.input, await readEnvelope(req, options.maxRequestBytes, "server-streaming"));
    await follow(stream, route.opener(options.ctx, input), route.output, options.ctx, controller.signal);
  } catch (err) {
    error = reportError(options.log, err, route.name, controller.signal);
  }
  options.ended?.(String(headers[":path"]).slice(1), error);
  finish(res, error);
}

/** Framed bytes of each shared response object, encoded once for all its watchers. */
const framedCache = new WeakMap<object, Buffer>();

function framed(schema: DescMessage, message: MessageShape<DescMessage>): Buffer {
  let bytes = framedCache.get(message);
  if (!bytes) framedCache.set(message, (bytes = frame(toBinary(schema, message))));
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
  respondOnce(stream);
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

