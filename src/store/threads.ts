import type { Knex } from "knex";
import { dialectOf } from "./dialect.js";
import { AlreadyExistsError, NotFoundError } from "./errors.js";
import type { Reader } from "./reader.js";
import type { MessageRecord, ThreadRecord } from "./records.js";
import { MESSAGE_FROM, messageColumns, messageFromRow, nowSeconds, threadFromRow, type MessageRow, type ThreadRow } from "./rows.js";

/** What a new thread holds. */
export interface NewThread {
  threadId: string;
  title: string;
  modules: string[];
  metadata: string | null;
}

/** Inserts a thread. AlreadyExistsError when the id is taken. */
export async function insertThread(trx: Knex.Transaction, input: NewThread): Promise<void> {
  if (await trx("threads").select("thread_id").where("thread_id", input.threadId).first()) {
    throw new AlreadyExistsError(`thread "${input.threadId}" already exists`);
  }
  await trx("threads").insert({
    thread_id: input.threadId,
    title: input.title || null,
    modules: JSON.stringify(input.modules),
    timestamp: nowSeconds(),
    metadata: input.metadata,
  });
}

/** Creates the thread when missing and adds `module` to its modules when new. */
export async function ensureThread(trx: Knex.Transaction, threadId: string, module: string): Promise<void> {
  // Concurrent first messages of one thread (PostgreSQL) must not collide on its creation.
  await trx("threads")
    .insert({ thread_id: threadId, title: null, modules: JSON.stringify(module ? [module] : []), timestamp: nowSeconds() })
    .onConflict("thread_id")
    .ignore();
  const query = trx("threads").where("thread_id", threadId);
  const row = (await (dialectOf(trx).rowLocks ? query.forUpdate() : query).first()) as ThreadRow;
  const thread = threadFromRow(row);
  if (module && !thread.modules.includes(module)) {
    await trx("threads")
      .where("thread_id", threadId)
      .update({ modules: JSON.stringify([...thread.modules, module]) });
  }
}

/** Reads a thread; NotFoundError when unknown. */
export async function getThread(reader: Reader, threadId: string): Promise<ThreadRecord> {
  const row = await reader.get<ThreadRow>("SELECT * FROM threads WHERE thread_id = ?", [threadId]);
  if (!row) throw new NotFoundError(`thread "${threadId}" not found`);
  return threadFromRow(row);
}

/** The messages of a thread, oldest first. */
export async function threadMessages(reader: Reader, threadId: string, includeContent: boolean): Promise<MessageRecord[]> {
  const content = includeContent ? ", m.content AS content" : "";
  const rows = await reader.all<MessageRow>(
    `SELECT ${messageColumns(reader.dialect)}${content} FROM ${MESSAGE_FROM} WHERE m.thread_id = ? ORDER BY m.timestamp, m.rowid`,
    [threadId],
  );
  return rows.map(messageFromRow);
}
