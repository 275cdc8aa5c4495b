import type { Knex } from "knex";
import { AlreadyExistsError, ContentTooLargeError, FailedPreconditionError, NotFoundError } from "./errors.js";
import { dialectOf } from "./dialect.js";
import type { Reader } from "./reader.js";
import type { Store } from "./store.js";
import { storeInternals } from "./internal.js";
import type { MessageRecord } from "./records.js";
import { MESSAGE_FROM, messageColumns, messageFromRow, nowSeconds, type MessageRow } from "./rows.js";
import { ACTIVE_STATUSES, isTerminal, sqlStatusList, type StatusName } from "./status.js";
import { ensureThread } from "./threads.js";

/** Options for reading one message. */
export interface GetMessageOptions {
  /** Include the content from this byte offset (undefined: no content). */
  contentFrom?: number;
}

/** Reads one message, or undefined when the id is unknown. */
export async function findMessage(
  reader: Reader,
  messageId: string,
  options: GetMessageOptions = {},
): Promise<MessageRecord | undefined> {
  const from = options.contentFrom;
  const content =
    from === undefined ? "" : from > 0 ? `, ${reader.dialect.fromByte("m.content")} AS content` : ", m.content AS content";
  const bindings = from ? [from, messageId] : [messageId];
  const row = await reader.get<MessageRow>(
    `SELECT ${messageColumns(reader.dialect)}${content} FROM ${MESSAGE_FROM} WHERE m.message_id = ?`,
    bindings,
  );
  return row && messageFromRow(row);
}

/** Reads one message; NotFoundError when the id is unknown. */
export async function getMessage(reader: Reader, messageId: string, options: GetMessageOptions = {}): Promise<MessageRecord> {
  const message = await findMessage(reader, messageId, options);
  if (!message) throw new NotFoundError(`message "${messageId}" not found`);
  return message;
}

/** Filters for listing messages. */
export interface MessageFilter {
  status?: StatusName;
  threadId?: string;
  module?: string;
  /** Every message, not only monitored ones. */
  all?: boolean;
  /** Continue after this position (from a previous page). */
  afterRowId?: number;
  limit: number;
  includeContent?: boolean;
}

/**
 * One page of messages in insertion order, with the position to continue from. The
 * position is `rowid`: SQLite's implicit one, a BIGSERIAL column of that name on PostgreSQL.
 */
export async function listMessages(reader: Reader, filter: MessageFilter): Promise<{ messages: MessageRecord[]; lastRowId?: number }> {
  const where: string[] = ["m.rowid > ?"];
  const bindings: unknown[] = [filter.afterRowId ?? 0];
  if (!filter.all) where.push("mon.message_id IS NOT NULL");
  if (filter.status) where.push("m.status = ?"), bindings.push(filter.status);
  if (filter.threadId) where.push("m.thread_id = ?"), bindings.push(filter.threadId);
  if (filter.module) where.push("m.module = ?"), bindings.push(filter.module);
  const content = filter.includeContent ? ", m.content AS content" : "";
  const rows = await reader.all<MessageRow & { row_id: number }>(
    `SELECT m.rowid AS row_id, ${messageColumns(reader.dialect)}${content} FROM ${MESSAGE_FROM}
     WHERE ${where.join(" AND ")} ORDER BY m.rowid LIMIT ?`,
    [...bindings, filter.limit + 1],
  );
  const page = rows.slice(0, filter.limit);
  const last = rows.length > filter.limit ? page[page.length - 1]?.row_id : undefined;
  return { messages: page.map(messageFromRow), lastRowId: last === undefined ? undefined : Number(last) };
}

/** What a new message holds. */
export interface NewMessage {
  messageId: string;
  threadId: string;
  module: string;
  type: string;
  content: string;
  status: StatusName;
  metadata: string | null;
  error?: string;
}

/** Inserts a message (and its thread when missing). AlreadyExistsError when the id is taken. */
export async function insertMessage(trx: Knex.Transaction, input: NewMessage): Promise<void> {
  if (await trx("messages").select("message_id").where("message_id", input.messageId).first()) {
    throw new AlreadyExistsError(`message "${input.messageId}" already exists`);
  }
  await ensureThread(trx, input.threadId, input.module);
  const now = nowSeconds();
  await trx("messages").insert({
    message_id: input.messageId,
    thread_id: input.threadId,
    module: input.module || null,
    content: input.content,
    type: input.type || null,
    timestamp: now,
    status: input.status,
    metadata: input.metadata,
    error: input.error || null,
    updated_at: now,
    completed_at: isTerminal(input.status) ? now : null,
  });
}

async function statusOf(trx: Knex.Transaction, messageId: string): Promise<StatusName> {
  const row = await lockMessage(trx, messageId);
  if (!row) throw new NotFoundError(`message "${messageId}" not found`);
  return row.status as StatusName;
}

/**
 * Reads a message's status and thread and, where the database has row locks (PostgreSQL,
 * READ COMMITTED), locks the row until commit, so a read-then-write on one message cannot
 * interleave with another writer's. SQLite's IMMEDIATE transaction already excludes them.
 */
export async function lockMessage(
  trx: Knex.Transaction,
  messageId: string,
): Promise<{ status: string; thread_id: string } | undefined> {
  const query = trx("messages").select("status", "thread_id").where("message_id", messageId);
  return dialectOf(trx).rowLocks ? query.forUpdate().first() : query.first();
}

/**
 * Appends text to a message's content and returns the new length in bytes. One statement
 * on its own, outside a transaction (the store-internal writeStatement): the status check is in its
 * WHERE, the length in its RETURNING; the reason for a refusal is read only when it is
 * refused.
 */
export async function appendContent(
  store: Store,
  messageId: string,
  text: string,
  maxBytes = Number.MAX_SAFE_INTEGER,
): Promise<number> {
  const bytes = Buffer.byteLength(text);
  for (let attempt = 1; ; attempt++) {
    const length = store.dialect.byteLength("content");
    // The cap is checked in the statement itself: an append past it changes nothing.
    const [row] = await storeInternals(store).writeStatement<{ n: number }>(
      `UPDATE messages SET content = COALESCE(content, '') || ?, updated_at = ?
       WHERE message_id = ? AND status IN ${sqlStatusList(ACTIVE_STATUSES)} AND ${length} + ? <= ?
       RETURNING ${length} AS n`,
      [text, nowSeconds(), messageId, bytes, maxBytes],
    );
    if (row) return Number(row.n);
    const found = await store.reader.get<{ status: StatusName; n: number }>(
      `SELECT status, ${length} AS n FROM messages WHERE message_id = ?`,
      [messageId],
    );
    if (!found) throw new NotFoundError(`message "${messageId}" not found`);
    if (!isTerminal(found.status) && Number(found.n) + bytes > maxBytes) {
      throw new ContentTooLargeError(
        `message "${messageId}" would exceed the content limit of ${formatBytes(maxBytes)} ` +
          `(${Number(found.n)} bytes, appending ${bytes}); nothing was appended (the limit is the daemon's --max-content-bytes)`,
        maxBytes,
      );
    }
    // Created by another writer just after the refusal: append again (a few times at most).
    if (!isTerminal(found.status) && attempt < 3) continue;
    throw new FailedPreconditionError(`message "${messageId}" is ${found.status}; its content is final`);
  }
}

/** `4 MiB`, `512 KiB`, `100 bytes`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/**
 * Cuts an active message's content back to its first `chars` characters (code points), for
 * a writer that takes back text it streamed (an agent's abandoned attempt). A finished
 * message is left alone.
 */
export async function truncateContent(store: Store, messageId: string, chars: number): Promise<void> {
  await storeInternals(store).writeStatement(
    `UPDATE messages SET content = substr(COALESCE(content, ''), 1, ?), updated_at = ?
     WHERE message_id = ? AND status IN ${sqlStatusList(ACTIVE_STATUSES)} RETURNING 1 AS n`,
    [chars, nowSeconds(), messageId],
  );
}

/**
 * Moves a message to `status`, storing `error` (or clearing it when empty). Setting the
 * status it already has is a no-op; leaving a terminal status is FailedPreconditionError.
 * Returns the status it had before.
 */
export async function setStatus(
  trx: Knex.Transaction,
  messageId: string,
  status: StatusName,
  error: string,
  allowedFrom?: readonly StatusName[],
): Promise<StatusName> {
  const from = await statusOf(trx, messageId);
  if (from === status) return from;
  if (isTerminal(from)) {
    throw new FailedPreconditionError(`message "${messageId}" is ${from}, which is final; it cannot become ${status}`);
  }
  if (allowedFrom && !allowedFrom.includes(from)) {
    throw new FailedPreconditionError(`message "${messageId}" is ${from}; it cannot become ${status}`);
  }
  const now = nowSeconds();
  await trx("messages")
    .where("message_id", messageId)
    .update({ status, error: error || null, updated_at: now, completed_at: isTerminal(status) ? now : null });
  return from;
}

/**
 * The module of each of `messageIds` that exists ("" when it has none), in one statement:
 * for the poller, which attaches modules to the events it publishes.
 */
export async function modulesOf(reader: Reader, messageIds: readonly string[]): Promise<Map<string, string>> {
  // One statement over a JSON array of the ids: a third of the time of IN lists of 400
  // (2.5 against 4-10 ms for 1,000 ids among 100,000 messages).
  const rows = await reader.all<{ message_id: string; module: string | null }>(
    `SELECT m.message_id, m.module FROM ${reader.dialect.jsonStrings("j")} JOIN messages m ON m.message_id = j.value`,
    [JSON.stringify(messageIds)],
  );
  return new Map(rows.map((row) => [row.message_id, row.module ?? ""]));
}
