import Database from "better-sqlite3";
import { openStore } from "../../src/store/open-store.js";

/** What to put in a benchmark store. */
export interface SeedOptions {
  /** Messages to create (ids from {@link messageId}). */
  messages: number;
  /** How many of them (the first ones) are monitored. */
  monitored: number;
  /** Content of each message, in bytes (default 100). */
  contentBytes?: number;
  /** Deadline of each monitor from now, in seconds (default 1 h; null for none). */
  deadlineSeconds?: number | null;
  /** Messages per thread (default 100). */
  perThread?: number;
}

/** The id of the i-th seeded message. */
export const messageId = (i: number): string => `m-${String(i).padStart(7, "0")}`;

/**
 * Creates the schema through openStore (migrations), then fills the file with raw
 * better-sqlite3 inserts in one transaction: threads, messages (the triggers log CREATED
 * events), monitors and their REGISTERED events. Seconds for 100,000 messages.
 */
export async function seedStore(file: string, options: SeedOptions): Promise<void> {
  const store = await openStore({ path: file });
  await store.close();
  const db = new Database(file);
  try {
    db.pragma("journal_mode = WAL");
    fill(db, options);
    db.pragma("wal_checkpoint(TRUNCATE)");
  } finally {
    db.close();
  }
}

function fill(db: Database.Database, options: SeedOptions): void {
  const now = Date.now() / 1000;
  const perThread = options.perThread ?? 100;
  const content = "x".repeat(options.contentBytes ?? 100);
  const deadline = options.deadlineSeconds === undefined ? 3600 : options.deadlineSeconds;
  const thread = db.prepare("INSERT INTO threads (thread_id, title, modules, timestamp) VALUES (?, ?, '[]', ?)");
  const message = db.prepare(
    `INSERT INTO messages (message_id, thread_id, module, content, type, timestamp, status, updated_at)
     VALUES (?, ?, 'bench', ?, 'answer', ?, 'pending', ?)`,
  );
  const monitor = db.prepare(
    "INSERT INTO monitors (message_id, registered_at, timeout_ms, deadline_at, labels) VALUES (?, ?, ?, ?, '{}')",
  );
  const registered = db.prepare(
    `INSERT INTO message_events (message_id, thread_id, kind, to_status, content_length, time)
     VALUES (?, ?, 'registered', 'pending', ?, ?)`,
  );
  db.transaction(() => {
    for (let i = 0; i < options.messages; i++) {
      const threadId = `t-${Math.floor(i / perThread)}`;
      if (i % perThread === 0) thread.run(threadId, `bench thread ${threadId}`, now);
      const id = messageId(i);
      message.run(id, threadId, content, now, now);
      if (i < options.monitored) {
        monitor.run(id, now, deadline === null ? null : deadline * 1000, deadline === null ? null : now + deadline);
        registered.run(id, threadId, content.length, now);
      }
    }
  })();
}
