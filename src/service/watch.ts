import { SubscriptionEndedError, type Subscription } from "../hub/subscription.js";
import { checkResumable } from "../store/compaction.js";
import { headSeq, messageEventsAfter } from "../store/events.js";
import { getMessage } from "../store/messages.js";
import { isTerminalEvent, type EventRecord } from "../store/records.js";
import { isTerminal } from "../store/status.js";
import { create } from "@bufbuild/protobuf";
import type { Event } from "../../gen/claude_comms/v1/message_pb.js";
import { WatchMessageResponseSchema, type WatchMessageResponse } from "../../gen/claude_comms/v1/polling_service_pb.js";
import type { ServiceContext } from "./context.js";
import { eventToProto, heartbeatEvent, snapshotEvent, watchResponse } from "./convert.js";

/** Where a watch starts: what to send first, the seq it reflects, and whether it is over. */
interface WatchStart {
  initial: Event[];
  lastSeq: number;
  finished: boolean;
}

/**
 * Reads the start of a watch in one consistent snapshot: a SNAPSHOT of the message as of
 * the log head, or (with `afterSeq`) every later event of the message. The caller has
 * subscribed to the hub before, so nothing committed after this read can be missed.
 */
function readStart(ctx: ServiceContext, messageId: string, afterSeq: number | undefined): Promise<WatchStart> {
  return ctx.store.reader.snapshot(async (reader) => {
    const message = await getMessage(reader, messageId);
    const head = await headSeq(reader);
    if (afterSeq === undefined) {
      return { initial: [snapshotEvent(message, head)], lastSeq: head, finished: isTerminal(message.status) };
    }
    await checkResumable(reader, afterSeq);
    const events = await messageEventsAfter(reader, messageId, afterSeq);
    const terminalAt = events.findIndex(isTerminalEvent);
    const sent = terminalAt >= 0 ? events.slice(0, terminalAt + 1) : events;
    return {
      initial: sent.map(eventToProto),
      lastSeq: Math.max(afterSeq, head),
      finished: terminalAt >= 0 || isTerminal(message.status),
    };
  });
}

/**
 * A watch that is subscribed to the hub and has its start still to read. Both ways of
 * following one use it: a generator of responses (streamWatch, for Connect's handlers and
 * in-process callers) and a follower that pushes into a transport (watch-push.ts, for the
 * gRPC fast path).
 */
export interface OpenWatch<R> {
  sub: Subscription;
  /** Yields the initial responses; returns the seq to follow after, or undefined when the stream is over. */
  start(): AsyncGenerator<R, number | undefined>;
  follow: FollowOptions<R>;
  /** Unsubscribes; idempotent. */
  close(): void;
}

/** Subscribes to the hub (before anything is read) and counts the watcher until close(). */
export function openWatch<R>(
  ctx: ServiceContext,
  accepts: { messageId: string } | { accepts: (event: EventRecord) => boolean },
  start: () => AsyncGenerator<R, number | undefined>,
  follow: FollowOptions<R>,
): OpenWatch<R> {
  const sub = ctx.hub.subscribe(accepts);
  ctx.watchers.count++;
  let open = true;
  return {
    sub,
    start,
    follow,
    close() {
      if (!open) return;
      open = false;
      ctx.watchers.count--;
      sub.close();
    },
  };
}

/**
 * The responses of an open watch, opened when iteration starts: the start, then live events
 * until the follow options' isLast, heartbeats while idle. Unsubscribes when the consumer
 * stops or the signal aborts.
 */
export async function* streamWatch<R>(ctx: ServiceContext, open: () => OpenWatch<R>, signal: AbortSignal): AsyncGenerator<R> {
  const watch = open();
  try {
    const lastSeq = yield* watch.start();
    if (lastSeq !== undefined) yield* follow(ctx, watch.sub, lastSeq, signal, watch.follow);
  } finally {
    watch.close();
  }
}

/** The heartbeat response of WatchMessage (one function, so a heartbeat round can share responses). */
export const watchHeartbeat = (seq: number): WatchMessageResponse => create(WatchMessageResponseSchema, { event: heartbeatEvent(seq) });

/**
 * The WatchMessage watch: the start (a SNAPSHOT, or the events after `afterSeq`), then live
 * events of the message in seq order, none twice, ending after the terminal event.
 */
export function openWatchOne(ctx: ServiceContext, messageId: string, afterSeq: number | undefined): OpenWatch<WatchMessageResponse> {
  return openWatch(
    ctx,
    { messageId },
    async function* () {
      const start = await readStart(ctx, messageId, afterSeq);
      for (const event of start.initial) yield create(WatchMessageResponseSchema, { event });
      return start.finished ? undefined : start.lastSeq;
    },
    { respond: watchResponse, heartbeat: watchHeartbeat, isLast: isTerminalEvent },
  );
}

/** What a follower sends and when it stops. */
export interface FollowOptions<R> {
  /** The response for a log event. */
  respond(event: EventRecord): R;
  /** The response for a heartbeat at `seq`. */
  heartbeat(seq: number): R;
  /** An event after which the stream ends (default: never). */
  isLast?: (event: EventRecord) => boolean;
}

/**
 * Yields the subscription's events newer than `lastSeq` until `isLast` says an event ends
 * the stream, with a heartbeat after each idle heartbeat interval.
 */
export async function* follow<R>(
  ctx: ServiceContext,
  sub: Subscription,
  lastSeq: number,
  signal: AbortSignal,
  options: FollowOptions<R>,
): AsyncGenerator<R> {
  for (;;) {
    let batch: EventRecord[];
    try {
      batch = await sub.take(ctx.heartbeatMs, signal);
    } catch (err) {
      // Name the last seq this stream sent, the exact point to resume from.
      if (err instanceof SubscriptionEndedError) throw new SubscriptionEndedError(err.reason, lastSeq);
      throw err;
    }
    if (!batch.length) {
      // Everything published up to the hub's head has reached this subscription.
      lastSeq = Math.max(lastSeq, ctx.hub.headSeq);
      yield options.heartbeat(lastSeq);
      continue;
    }
    for (const event of batch) {
      if (event.seq <= lastSeq) continue;
      lastSeq = event.seq;
      yield options.respond(event);
      if (options.isLast?.(event)) return;
    }
  }
}
