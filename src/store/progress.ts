import type { Knex } from "knex";
import { dialectOf } from "./dialect.js";
import { appendEvents } from "./events.js";
import { rawRows } from "./rows.js";

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
