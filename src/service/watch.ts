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
 * The WatchMessage stream: the start, then live events of the message in seq order, none
 * twice, heartbeats while idle, ending after the terminal event. Stops its work when the
 * client leaves (the signal aborts).
 */
export async function* watchOne(
  ctx: ServiceContext,
  messageId: string,
  afterSeq: number | undefined,
  signal: AbortSignal,
): AsyncGenerator<WatchMessageResponse> {
  const sub = ctx.hub.subscribe({ messageId });
  ctx.watchers.count++;
  try {
    const start = await readStart(ctx, messageId, afterSeq);
    for (const event of start.initial) yield create(WatchMessageResponseSchema, { event });
    if (start.finished) return;
    yield* follow(ctx, sub, start.lastSeq, signal, {
      respond: watchResponse,
      heartbeat: (seq) => create(WatchMessageResponseSchema, { event: heartbeatEvent(seq) }),
      isLast: isTerminalEvent,
    });
  } finally {
    ctx.watchers.count--;
    sub.close();
  }
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
