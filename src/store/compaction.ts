import type { Knex } from "knex";
import { dialectOf } from "./dialect.js";
import { OutOfRangeError } from "./errors.js";
import type { Reader } from "./reader.js";

const KEY = "compacted_through";

/** The highest seq that may have been compacted away (0 when nothing was). */
export async function compactedThrough(reader: Reader): Promise<number> {
  const row = await reader.get<{ value: string }>("SELECT value FROM store_meta WHERE key = ?", [KEY]);
  return row ? Number(row.value) : 0;
}

/**
 * OutOfRangeError when resuming after `afterSeq` would skip compacted events, i.e. when
 * events with seq in (afterSeq, compacted_through] may be gone.
 */
export async function checkResumable(reader: Reader, afterSeq: number): Promise<void> {
  const through = await compactedThrough(reader);
  if (afterSeq < through) {
    throw new OutOfRangeError(
      `after_seq ${afterSeq} is older than the retained history (oldest available seq ${through + 1}); ` +
        "read the current state again and watch without after_seq",
      through + 1,
    );
  }
}

/**
 * Deletes up to `limit` of the oldest events recorded before `beforeTime` (Unix seconds) and
 * at or below `maxSeq` (what the poller has published), and raises compacted_through.
 * Returns the number deleted; call again while it returns `limit`.
 */
export async function compactBatch(trx: Knex.Transaction, beforeTime: number, maxSeq: number, limit: number): Promise<number> {
  const rows = (await trx("message_events")
    .select("seq")
    .where("seq", "<=", maxSeq)
    .andWhere("time", "<", beforeTime)
    .orderBy("seq")
    .limit(limit)) as Array<{ seq: number }>;
  const last = rows[rows.length - 1];
  if (!last) return 0;
  await trx("message_events").where("seq", "<=", last.seq).andWhere("time", "<", beforeTime).delete();
  const newest = dialectOf(trx).greatest("CAST(store_meta.value AS BIGINT)", "CAST(excluded.value AS BIGINT)");
  await trx.raw(
    `INSERT INTO store_meta (key, value) VALUES (?, ?)
     ON CONFLICT(key) DO UPDATE SET value = CAST(${newest} AS TEXT)`,
    [KEY, String(last.seq)],
  );
  return rows.length;
}
