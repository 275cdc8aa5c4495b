import type { Knex } from "knex";
import { dialectOf } from "./dialect.js";
import { appendEvents } from "./events.js";
import type { Reader } from "./reader.js";
import { rawRows } from "./rows.js";
import { ACTIVE_STATUSES, sqlStatusList } from "./status.js";

const CHUNK = 400;

/**
 * Turns the content-change markers (written by a trigger for monitored messages) into at
 * most one PROGRESS event per message: one whose length differs from `known(id)` (undefined
 * means not monitored or finished: no event). Runs inside the write transaction. The
 * markers are claimed first (DELETE … RETURNING), then the lengths read: an append that
 * commits after the claim leaves a new marker for the next tick, so none is lost. Returns
 * the number of events written.
 */
export async function sampleProgress(
  trx: Knex.Transaction,
  known: (messageId: string) => number | undefined,
): Promise<number> {
  const ids = rawRows<{ message_id: string }>(await trx.raw("DELETE FROM content_changes RETURNING message_id")).map(
    (r) => r.message_id,
  );
  let written = 0;
  for (let i = 0; i < ids.length; i += CHUNK) {
    const rows = (await trx("messages")
      .select("message_id", trx.raw(`${dialectOf(trx).byteLength("content")} AS n`))
      .whereIn("message_id", ids.slice(i, i + CHUNK))) as Array<{ message_id: string; n: number }>;
    const grown = rows
      .filter((row) => {
        const before = known(row.message_id);
        return before !== undefined && before !== Number(row.n);
      })
      .map((row) => row.message_id);
    await appendEvents(trx, grown, "progress", "");
    written += grown.length;
  }
  return written;
}

/** Whether any content-change marker waits to be sampled (a cheap read before a write). */
export async function hasContentChanges(reader: Reader): Promise<boolean> {
  return (await reader.get("SELECT 1 FROM content_changes LIMIT 1")) !== undefined;
}

/**
 * Of `messageIds` (messages watched but not monitored, which have no content-change
 * markers), the active ones whose content length differs from the length their newest
 * event recorded: each needs a PROGRESS event. Stateless, so it survives restarts and
 * never reports the same length twice.
 */
export async function grownSinceLastEvent(reader: Reader, messageIds: readonly string[]): Promise<string[]> {
  const grown: string[] = [];
  for (let i = 0; i < messageIds.length; i += CHUNK) {
    const chunk = messageIds.slice(i, i + CHUNK);
    const rows = await reader.all<{ message_id: string; n: number; logged: number | null }>(
      `SELECT m.message_id, ${reader.dialect.byteLength("m.content")} AS n,
              (SELECT e.content_length FROM message_events e WHERE e.message_id = m.message_id
               ORDER BY e.seq DESC LIMIT 1) AS logged
       FROM messages m
       WHERE m.message_id IN (${chunk.map(() => "?").join(", ")}) AND m.status IN ${sqlStatusList(ACTIVE_STATUSES)}`,
      chunk,
    );
    for (const row of rows) if (Number(row.n) !== Number(row.logged ?? 0)) grown.push(row.message_id);
  }
  return grown;
}

/** Writes one PROGRESS event for each of `messageIds` (see grownSinceLastEvent). */
export async function writeProgress(trx: Knex.Transaction, messageIds: readonly string[]): Promise<number> {
  for (let i = 0; i < messageIds.length; i += CHUNK) await appendEvents(trx, messageIds.slice(i, i + CHUNK), "progress", "");
  return messageIds.length;
}
