import { create } from "@bufbuild/protobuf";
import { WatchMessagesResponseSchema, type WatchMessagesResponse } from "../../gen/claude_comms/v1/polling_service_pb.js";
import { checkResumable } from "../store/compaction.js";
import { eventsWithAttributesAfter, headSeq } from "../store/events.js";
import type { ServiceContext } from "./context.js";
import { heartbeatEvent, watchManyResponse } from "./convert.js";
import { eventMatcher, type EventFilter } from "./event-filter.js";
import { follow } from "./watch.js";

const REPLAY_BATCH = 1000;

/**
 * The WatchMessages stream: subscribe, then either a HEARTBEAT at the current head or a
 * replay of every matching event after `afterSeq`, then live matching events in seq order,
 * none twice. Never ends by itself.
 */
export async function* watchMany(
  ctx: ServiceContext,
  filter: EventFilter,
  afterSeq: number | undefined,
  signal: AbortSignal,
): AsyncGenerator<WatchMessagesResponse> {
  const matches = eventMatcher(filter);
  const sub = ctx.hub.subscribe({ accepts: matches });
  ctx.watchers.count++;
  try {
    let lastSeq: number;
    if (afterSeq === undefined) {
      // Everything after the hub's head reaches the subscription taken just above.
      lastSeq = ctx.hub.headSeq;
      yield create(WatchMessagesResponseSchema, { event: heartbeatEvent(lastSeq) });
    } else {
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
