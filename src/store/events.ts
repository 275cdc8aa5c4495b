import type { Knex } from "knex";
import { dialectOf } from "./dialect.js";
import type { Reader } from "./reader.js";
import type { EventKindName, EventRecord } from "./records.js";
import { eventFromRow, nowSeconds, type EventRow } from "./rows.js";

/** The newest seq in the log (0 when empty). */
export async function headSeq(reader: Reader): Promise<number> {
  const row = await reader.get<{ seq: number | string | null }>("SELECT MAX(seq) AS seq FROM message_events");
  return Number(row?.seq ?? 0);
}

/** Events with seq > `afterSeq`, oldest first, at most `limit`. */
export async function eventsAfter(reader: Reader, afterSeq: number, limit: number): Promise<EventRecord[]> {
  return (await reader
    .all<EventRow>("SELECT * FROM message_events WHERE seq > ? ORDER BY seq LIMIT ?", [afterSeq, limit]))
    .map(eventFromRow);
}

/** One message's events with seq > `afterSeq`, oldest first. */
export async function messageEventsAfter(reader: Reader, messageId: string, afterSeq: number): Promise<EventRecord[]> {
  return (await reader
    .all<EventRow>("SELECT * FROM message_events WHERE message_id = ? AND seq > ? ORDER BY seq", [messageId, afterSeq]))
    .map(eventFromRow);
}

/**
 * Appends a daemon-written event (progress, registered, unregistered) for a message, taking
 * its thread, status and content length from the message row in the same transaction.
 */
export async function appendEvent(
  trx: Knex.Transaction,
  messageId: string,
  kind: EventKindName,
  detail: string,
): Promise<void> {
  await appendEvents(trx, [messageId], kind, detail);
}

/**
 * Appends the same kind of daemon-written event for each of `messageIds` in one statement
 * (at most a few hundred ids: one placeholder each).
 */
export async function appendEvents(
  trx: Knex.Transaction,
  messageIds: readonly string[],
  kind: EventKindName,
  detail: string,
): Promise<void> {
  if (messageIds.length === 0) return;
  await trx.raw(
    `INSERT INTO message_events (message_id, thread_id, kind, from_status, to_status, content_length, time, detail)
     SELECT message_id, thread_id, ?, NULL, status, ${dialectOf(trx).byteLength("content")}, ?, ?
     FROM messages WHERE message_id IN (${messageIds.map(() => "?").join(", ")})`,
    [kind, nowSeconds(), detail || null, ...messageIds],
  );
}
