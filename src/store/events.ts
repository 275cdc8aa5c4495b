import type { Knex } from "knex";
import type { Reader } from "./reader.js";
import type { EventKindName, EventRecord } from "./records.js";
import { eventFromRow, nowSeconds, type EventRow } from "./rows.js";

/** The newest seq in the log (0 when empty). */
export function headSeq(reader: Reader): number {
  return reader.get<{ seq: number | null }>("SELECT MAX(seq) AS seq FROM message_events")?.seq ?? 0;
}

/** Events with seq > `afterSeq`, oldest first, at most `limit`. */
export function eventsAfter(reader: Reader, afterSeq: number, limit: number): EventRecord[] {
  return reader
    .all<EventRow>("SELECT * FROM message_events WHERE seq > ? ORDER BY seq LIMIT ?", [afterSeq, limit])
    .map(eventFromRow);
}

/** One message's events with seq > `afterSeq`, oldest first. */
export function messageEventsAfter(reader: Reader, messageId: string, afterSeq: number): EventRecord[] {
  return reader
    .all<EventRow>("SELECT * FROM message_events WHERE message_id = ? AND seq > ? ORDER BY seq", [messageId, afterSeq])
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
  await trx.raw(
    `INSERT INTO message_events (message_id, thread_id, kind, from_status, to_status, content_length, time, detail)
     SELECT message_id, thread_id, ?, NULL, status, COALESCE(length(CAST(content AS BLOB)), 0), ?, ?
     FROM messages WHERE message_id = ?`,
    [kind, nowSeconds(), detail || null, messageId],
  );
}
