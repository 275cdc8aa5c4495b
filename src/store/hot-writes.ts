import type BetterSqlite3 from "better-sqlite3";
import { SQLITE } from "./dialect.js";
import { FailedPreconditionError, NotFoundError } from "./errors.js";
import { storeInternals } from "./internal.js";
import { getMessage, setStatus } from "./messages.js";
import type { MessageRecord } from "./records.js";
import { MESSAGE_FROM, messageColumns, messageFromRow, nowSeconds, type MessageRow } from "./rows.js";
import { prepared } from "./sqlite-client.js";
import { isTerminal, type StatusName } from "./status.js";
import type { Store } from "./store.js";

/*
 * The message service's hottest write, SetStatus, with the message it returns. On SQLite it
 * is one synchronous op in a group commit (prepared statements on the writer's connection,
 * the message read back inside the same transaction); on PostgreSQL a knex transaction and a
 * read, as every other write.
 */

const SELECT_MESSAGE = `SELECT ${messageColumns(SQLITE)} FROM ${MESSAGE_FROM} WHERE m.message_id = ?`;
const SELECT_STATUS = "SELECT status FROM messages WHERE message_id = ?";
const UPDATE_STATUS = "UPDATE messages SET status = ?, error = ?, updated_at = ?, completed_at = ? WHERE message_id = ?";

/**
 * Moves a message to `status` (as setStatus in messages.ts: the same status is a no-op,
 * leaving a terminal one is FailedPreconditionError) and returns the message as committed.
 */
export async function setStatusReturning(
  store: Store,
  messageId: string,
  status: StatusName,
  error: string,
): Promise<MessageRecord> {
  const grouped = storeInternals(store).grouped;
  if (grouped) return grouped((db) => setStatusOp(db, messageId, status, error));
  await store.write((trx) => setStatus(trx, messageId, status, error));
  return getMessage(store.reader, messageId);
}

function setStatusOp(db: BetterSqlite3.Database, messageId: string, status: StatusName, error: string): MessageRecord {
  const row = prepared(db, SELECT_STATUS).get(messageId) as { status: StatusName } | undefined;
  if (!row) throw new NotFoundError(`message "${messageId}" not found`);
  const from = row.status;
  if (from !== status) {
    if (isTerminal(from)) {
      throw new FailedPreconditionError(`message "${messageId}" is ${from}, which is final; it cannot become ${status}`);
    }
    const now = nowSeconds();
    prepared(db, UPDATE_STATUS).run(status, error || null, now, isTerminal(status) ? now : null, messageId);
  }
  return messageFromRow(prepared(db, SELECT_MESSAGE).get(messageId) as MessageRow);
}
