import type { Knex } from "knex";
import { dialectOf } from "./dialect.js";
import type { Reader } from "./reader.js";
import type { EventKindName, EventRecord } from "./records.js";
import { eventFromRow, nowSeconds, parseLabels, type EventRow } from "./rows.js";

/** The newest seq in the log (0 when empty). */
export async function headSeq(reader: Reader): Promise<number> {
  const row = await reader.get<{ seq: number | string | null }>("SELECT MAX(seq) AS seq FROM message_events");
  return Number(row?.seq ?? 0);
}

/** Events with seq > `afterSeq`, oldest first, at most `limit` (the poller's tail). */
export async function eventsAfter(reader: Reader, afterSeq: number, limit: number): Promise<EventRecord[]> {
  return (await reader
    .all<EventRow>("SELECT * FROM message_events WHERE seq > ? ORDER BY seq LIMIT ?", [afterSeq, limit]))
    .map(eventFromRow);
}

/**
 * The same with each event's module and monitor labels attached, as they are now (for a
 * replay; the live tail gets them from the poller's memory, which is cheaper than this join).
 */
export async function eventsWithAttributesAfter(reader: Reader, afterSeq: number, limit: number): Promise<EventRecord[]> {
  const rows = await reader.all<EventRow & { module: string | null; labels: string | null }>(
    `SELECT e.*, m.module AS module, mon.labels AS labels
     FROM message_events e
     LEFT JOIN messages m ON m.message_id = e.message_id
     LEFT JOIN monitors mon ON mon.message_id = e.message_id
     WHERE e.seq > ? ORDER BY e.seq LIMIT ?`,
    [afterSeq, limit],
  );
  // Most messages share a handful of label sets ("{}" above all): parse each text once.
  const parsed = new Map<string, Readonly<Record<string, string>>>();
  return rows.map((row) => {
    const text = row.labels ?? "{}";
    let labels = parsed.get(text);
    if (!labels) parsed.set(text, (labels = parseLabels(text)));
    const event = eventFromRow(row);
    event.attributes = { module: row.module ?? "", labels };
    return event;
  });
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
