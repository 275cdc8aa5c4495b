import fs from "node:fs";
import http2 from "node:http2";
import { create, fromBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { EventKind, MessageStatus } from "../../gen/claude_comms/v1/message_pb.js";
import { AppendContentResponseSchema, MessageService, SetStatusResponseSchema } from "../../gen/claude_comms/v1/message_service_pb.js";
import {
  GetDaemonStatusResponseSchema,
  PollingService,
  ShowMessageResponseSchema,
  WatchMessageResponseSchema,
  type WatchMessageResponse,
} from "../../gen/claude_comms/v1/polling_service_pb.js";
import { errorInterceptor, InFlight } from "../../src/daemon/interceptors.js";
import { openLogger } from "../../src/daemon/logger.js";
import { reply, runWorker, workerArgs } from "./worker.js";

/*
 * The same-run baseline: a bare Connect-Node server on the same stack as the daemon
 * (connectNodeAdapter with the daemon's read/write limits, node:http2 with the daemon's
 * settings, a Unix socket) whose handlers do no work. Unary handlers return a constant
 * response; WatchMessage yields events from an in-memory source, each built once and shared
 * by every stream. SetStatus publishes to the watchers of its message: one event, or with
 * `error: "burst:K"` K events at once (the fan-out benchmark's source).
 */

/** Arguments of the bare server process. */
export interface BareServerArgs {
  socket: string;
  /** A binary ShowMessageResponse to answer every ShowMessage with (default: empty). */
  showResponseFile?: string;
  /** Also install the daemon's error interceptor (to measure what it costs). */
  withInterceptor?: boolean;
}

const MAX_REQUEST_BYTES = 4 * 1024 * 1024; // the daemon's default

interface Listener {
  queue: WatchMessageResponse[];
  wake?: () => void;
}

const listeners = new Map<string, Set<Listener>>();
let seq = 1;

function eventResponse(messageId: string, kind: EventKind, toStatus: MessageStatus): WatchMessageResponse {
  return create(WatchMessageResponseSchema, {
    event: { seq: BigInt(seq++), messageId, threadId: "t-bench", kind, toStatus, contentLength: 100n, time: timestampFromMs(Date.now()) },
  });
}

function publish(messageId: string, count: number): void {
  const set = listeners.get(messageId);
  for (let i = 0; i < count; i++) {
    const to = i % 2 ? MessageStatus.PENDING : MessageStatus.PROCESSING;
    const response = eventResponse(messageId, EventKind.STATUS_CHANGED, to);
    for (const l of set ?? []) {
      l.queue.push(response);
      const wake = l.wake;
      l.wake = undefined;
      wake?.();
    }
  }
}

async function* watch(messageId: string, signal: AbortSignal): AsyncGenerator<WatchMessageResponse> {
  const me: Listener = { queue: [] };
  let set = listeners.get(messageId);
  if (!set) listeners.set(messageId, (set = new Set()));
  set.add(me);
  const onAbort = () => me.wake?.();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    yield eventResponse(messageId, EventKind.SNAPSHOT, MessageStatus.PENDING);
    while (!signal.aborted) {
      if (!me.queue.length) await new Promise<void>((resolve) => (me.wake = resolve));
      const batch = me.queue;
      me.queue = [];
      for (const response of batch) yield response;
    }
  } finally {
    set.delete(me);
    signal.removeEventListener("abort", onAbort);
  }
}

function routes(args: BareServerArgs): (router: ConnectRouter) => void {
  const show = args.showResponseFile
    ? fromBinary(ShowMessageResponseSchema, fs.readFileSync(args.showResponseFile))
    : create(ShowMessageResponseSchema);
  const appended = create(AppendContentResponseSchema, { contentLength: 1234n });
  const statusSet = create(SetStatusResponseSchema, { message: show.message });
  const daemonStatus = create(GetDaemonStatusResponseSchema, { pid: process.pid, version: "bare" });
  return (router) => {
    router.service(PollingService, {
      showMessage: () => show,
      getDaemonStatus: () => daemonStatus,
      watchMessage: (req, ctx) => watch(req.messageId, ctx.signal),
    });
    router.service(MessageService, {
      appendContent: () => appended,
      setStatus: (req) => {
        const burst = /^burst:(\d+)$/.exec(req.error);
        publish(req.messageId, burst ? Number(burst[1]) : 1);
        return statusSet;
      },
    });
  };
}

runWorker(async () => {
  const args = workerArgs<BareServerArgs>();
  const interceptors: Interceptor[] = args.withInterceptor ? [errorInterceptor(openLogger("-", "error"), new InFlight())] : [];
  const handler = connectNodeAdapter({
    routes: routes(args),
    interceptors,
    readMaxBytes: MAX_REQUEST_BYTES,
    writeMaxBytes: MAX_REQUEST_BYTES * 4,
  });
  const server = http2.createServer({ settings: { maxConcurrentStreams: 2000 } }, handler);
  fs.rmSync(args.socket, { force: true });
  await new Promise<void>((resolve) => server.listen(args.socket, resolve));
  await reply({ type: "ready", pid: process.pid });
  await new Promise<void>((resolve) => process.once("SIGTERM", resolve));
  server.close();
  for (const set of listeners.values()) for (const l of set) l.wake?.();
});
