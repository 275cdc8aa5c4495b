import { create } from "@bufbuild/protobuf";
import { WatchMessagesResponseSchema, type WatchMessagesResponse } from "../../gen/claude_comms/v1/polling_service_pb.js";
import { checkResumable } from "../store/compaction.js";
import { eventsWithAttributesAfter, headSeq } from "../store/events.js";
import { messagesMatching } from "../store/matching.js";
import { FailedPreconditionError } from "../shared/errors.js";
import type { ServiceContext } from "./context.js";
import { heartbeatEvent, snapshotEvent, watchManyResponse } from "./convert.js";
import { eventMatcher, type EventFilter } from "./event-filter.js";
import { follow } from "./watch.js";

const REPLAY_BATCH = 1000;

/** The most messages a watch's initial snapshots may cover (see WatchMessagesRequest). */
export const MAX_INITIAL_SNAPSHOTS = 1000;

/** Where a multi-message watch starts. */
export type WatchManyStart = { afterSeq: number } | { snapshots: boolean };

/**
 * The WatchMessages stream: subscribe, then either a HEARTBEAT at the current head, or a
 * SNAPSHOT of every matching message followed by a HEARTBEAT at the head they reflect, or a
 * replay of every matching event after `afterSeq`; then live matching events in seq order,
 * none twice. Never ends by itself.
 */
export async function* watchMany(
  ctx: ServiceContext,
  filter: EventFilter,
  start: WatchManyStart,
  signal: AbortSignal,
): AsyncGenerator<WatchMessagesResponse> {
  const matches = eventMatcher(filter);
  const sub = ctx.hub.subscribe({ accepts: matches });
  ctx.watchers.count++;
  try {
    let lastSeq: number;
    if ("snapshots" in start) {
      // Everything after this head reaches the subscription taken just above; the follow
      // below skips what the snapshots (or the head) already cover.
      lastSeq = ctx.hub.headSeq;
      if (start.snapshots) {
        const initial = await readSnapshots(ctx, filter);
        lastSeq = initial.head;
        for (const message of initial.messages) yield create(WatchMessagesResponseSchema, { event: snapshotEvent(message, lastSeq) });
      }
      yield create(WatchMessagesResponseSchema, { event: heartbeatEvent(lastSeq) });
    } else {
      const { afterSeq } = start;
      const reader = ctx.store.reader;
      const head = await reader.snapshot(async (r) => (await checkResumable(r, afterSeq), headSeq(r)));
      for (let cursor = afterSeq; cursor < head; ) {
        const batch = (await eventsWithAttributesAfter(reader, cursor, REPLAY_BATCH)).filter((e) => e.seq <= head);
        if (!batch.length) break;
        for (const event of batch) if (matches(event)) yield watchManyResponse(event);
        cursor = batch[batch.length - 1]!.seq;
      }
      lastSeq = Math.max(afterSeq, head);
    }
    yield* follow(ctx, sub, lastSeq, signal, {
      respond: watchManyResponse,
      heartbeat: (seq) => create(WatchMessagesResponseSchema, { event: heartbeatEvent(seq) }),
    });
  } finally {
    ctx.watchers.count--;
    sub.close();
  }
}

/** The matching messages and the log head they reflect, read in one snapshot. */
async function readSnapshots(ctx: ServiceContext, filter: EventFilter) {
  const initial = await ctx.store.reader.snapshot(async (reader) => ({
    head: await headSeq(reader),
    messages: await messagesMatching(reader, filter, MAX_INITIAL_SNAPSHOTS + 1),
  }));
  if (initial.messages.length > MAX_INITIAL_SNAPSHOTS) {
    throw new FailedPreconditionError(
      `send_initial_snapshots: more than ${MAX_INITIAL_SNAPSHOTS} messages match; narrow the watch ` +
        "(thread_id, statuses, module, labels or message_ids) or watch without initial snapshots",
    );
  }
  return initial;
}
