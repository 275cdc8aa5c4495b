import type { Knex } from "knex";
import { dialectOf } from "./dialect.js";
import { appendEvent } from "./events.js";

const CHUNK = 400;

/**
 * Turns the content-change markers (written by a trigger for monitored messages) into at
 * most one PROGRESS event per message: one whose length differs from `known(id)` (undefined
 * means not monitored or finished: no event). Clears the markers it read. Runs inside the
 * write transaction so no change slips between reading a length and clearing its marker.
 * Returns the number of events written.
 */
export async function sampleProgress(
  trx: Knex.Transaction,
  known: (messageId: string) => number | undefined,
): Promise<number> {
  const ids = ((await trx("content_changes").select("message_id")) as Array<{ message_id: string }>).map(
    (r) => r.message_id,
  );
  let written = 0;
  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK);
    const rows = (await trx("messages")
      .select("message_id", trx.raw(`${dialectOf(trx).byteLength("content")} AS n`))
      .whereIn("message_id", chunk)) as Array<{ message_id: string; n: number }>;
    for (const row of rows) {
      const before = known(row.message_id);
      if (before === undefined || before === Number(row.n)) continue;
      await appendEvent(trx, row.message_id, "progress", "");
      written++;
    }
    await trx("content_changes").whereIn("message_id", chunk).delete();
  }
  return written;
}
