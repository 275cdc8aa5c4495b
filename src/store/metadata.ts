import type { Knex } from "knex";
import { dialectOf } from "./dialect.js";

/** Merges `patch` (a JSON object) into a message's metadata object (RFC 7396 merge patch). */
export async function mergeMetadata(trx: Knex.Transaction, messageId: string, patch: Record<string, unknown>): Promise<void> {
  if (!Object.keys(patch).length) return;
  await trx.raw(
    `UPDATE messages SET metadata = ${dialectOf(trx).mergeJson("metadata")} WHERE message_id = ?`,
    [JSON.stringify(patch), messageId],
  );
}
