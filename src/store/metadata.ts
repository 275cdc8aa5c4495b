import type { Knex } from "knex";

/** Merges `patch` (a JSON object) into a message's metadata object (RFC 7396 merge patch). */
export async function mergeMetadata(trx: Knex.Transaction, messageId: string, patch: Record<string, unknown>): Promise<void> {
  if (!Object.keys(patch).length) return;
  await trx.raw(
    `UPDATE messages SET metadata = json_patch(
       CASE WHEN json_valid(metadata) AND json_type(metadata) = 'object' THEN metadata ELSE '{}' END, ?)
     WHERE message_id = ?`,
    [JSON.stringify(patch), messageId],
  );
}
