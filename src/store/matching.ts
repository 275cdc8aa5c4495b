import type { Reader } from "./reader.js";
import type { MessageRecord } from "./records.js";
import { MESSAGE_FROM, messageColumns, messageFromRow, type MessageRow } from "./rows.js";
import { sqlStatusList, type StatusName } from "./status.js";

/** Which messages a multi-message watch selects by their current state. Empty parts match all. */
export interface MessageSelection {
  messageIds: ReadonlySet<string>;
  threadId: string;
  statuses: ReadonlySet<StatusName>;
  module: string;
  labels: Readonly<Record<string, string>>;
}

const PAGE = 1000;

/**
 * The messages matching `selection` now, in insertion order, at most `limit` (the caller
 * asks for one more than it accepts to learn that there are more). Labels are compared in
 * memory (their JSON differs by dialect), so a label selection reads only monitored
 * messages, a page at a time.
 */
export async function messagesMatching(reader: Reader, selection: MessageSelection, limit: number): Promise<MessageRecord[]> {
  const where: string[] = [];
  const bindings: unknown[] = [];
  const wantedLabels = Object.entries(selection.labels);
  if (selection.messageIds.size) {
    where.push(`m.message_id IN (${[...selection.messageIds].map(() => "?").join(", ")})`);
    bindings.push(...selection.messageIds);
  }
  if (selection.threadId) where.push("m.thread_id = ?"), bindings.push(selection.threadId);
  if (selection.statuses.size) where.push(`m.status IN ${sqlStatusList([...selection.statuses])}`);
  if (selection.module) where.push("m.module = ?"), bindings.push(selection.module);
  if (wantedLabels.length) where.push("mon.message_id IS NOT NULL");
  const found: MessageRecord[] = [];
  for (let after = 0; found.length < limit; ) {
    const rows = await reader.all<MessageRow & { row_id: number }>(
      `SELECT m.rowid AS row_id, ${messageColumns(reader.dialect)} FROM ${MESSAGE_FROM}
       WHERE ${["m.rowid > ?", ...where].join(" AND ")} ORDER BY m.rowid LIMIT ?`,
      [after, ...bindings, PAGE],
    );
    for (const row of rows) {
      const message = messageFromRow(row);
      const labels = message.monitor?.labels ?? {};
      if (wantedLabels.every(([k, v]) => labels[k] === v)) found.push(message);
    }
    if (rows.length < PAGE) break;
    after = Number(rows[rows.length - 1]!.row_id);
  }
  return found.slice(0, limit);
}
