import { create } from "@bufbuild/protobuf";
import { WatchMessagesResponseSchema, type WatchMessagesResponse } from "../../gen/claude_comms/v1/polling_service_pb.js";
import { checkResumable } from "../store/compaction.js";
import { eventsWithAttributesAfter, headSeq } from "../store/events.js";
import { messagesMatching } from "../store/matching.js";
import { FailedPreconditionError } from "../common/errors.js";
import type { ServiceContext } from "./context.js";
import { heartbeatEvent, snapshotEvent, watchManyResponse } from "./convert.js";
import { eventMatcher, type EventFilter } from "./event-filter.js";
import { openWatch, type OpenWatch } from "./watch.js";

const REPLAY_BATCH = 1000;

/** The most messages a watch's initial snapshots may cover (see WatchMessagesRequest). */
export const MAX_INITIAL_SNAPSHOTS = 1000;

/** Where a multi-message watch starts. */
export type WatchManyStart = { afterSeq: number } | { snapshots: boolean };

/** The heartbeat response of WatchMessages (one function, so a heartbeat round can share responses). */
export const watchManyHeartbeat = (seq: number): WatchMessagesResponse => create(WatchMessagesResponseSchema, { event: heartbeatEvent(seq) });

/**
 * The WatchMessages watch: subscribe, then either a HEARTBEAT at the current head, or a
 * SNAPSHOT of every matching message followed by a HEARTBEAT at the head they reflect, or a
 * replay of every matching event after `afterSeq`; then live matching events in seq order,
 * none twice. Never ends by itself.
 */
export function openWatchMany(ctx: ServiceContext, filter: EventFilter, start: WatchManyStart): OpenWatch<WatchMessagesResponse> {
  return openWatch(ctx, { accepts: eventMatcher(filter) }, () => readWatchManyStart(ctx, filter, start), {
    respond: watchManyResponse,
    heartbeat: watchManyHeartbeat,
  });
}

// The subscription is taken (openWatch) before this reads anything: everything after the
// head read here reaches it, and following skips what the start already covers.
async function* readWatchManyStart(ctx: ServiceContext, filter: EventFilter, start: WatchManyStart): AsyncGenerator<WatchMessagesResponse, number> {
  if ("snapshots" in start) {
    let lastSeq = ctx.hub.headSeq;
    if (start.snapshots) {
      const initial = await readSnapshots(ctx, filter);
      lastSeq = initial.head;
      for (const message of initial.messages) yield create(WatchMessagesResponseSchema, { event: snapshotEvent(message, lastSeq) });
    }
    yield watchManyHeartbeat(lastSeq);
    return lastSeq;
  }
  const { afterSeq } = start;
  const matches = eventMatcher(filter);
  const reader = ctx.store.reader;
  const head = await reader.snapshot(async (r) => (await checkResumable(r, afterSeq), headSeq(r)));
  for (let cursor = afterSeq; cursor < head; ) {
    const batch = (await eventsWithAttributesAfter(reader, cursor, REPLAY_BATCH)).filter((e) => e.seq <= head);
    if (!batch.length) break;
    for (const event of batch) if (matches(event)) yield watchManyResponse(event);
    cursor = batch[batch.length - 1]!.seq;
  }
  return Math.max(afterSeq, head);
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
