import type { Knex } from "knex";
import { STATUS_NAMES, TERMINAL_STATUSES, sqlStatusList } from "../status.js";

/*
 * The first schema, SQLite flavour (0001_initial_postgres.ts is the same on PostgreSQL). `threads` and `messages` keep the original tool's column names and
 * lowercase status strings, so its writers (which name only those columns) keep working;
 * the added columns all have defaults. Triggers write the event log, so a process writing
 * the file directly cannot bypass it. Trigger bodies run in the *writer's* SQLite library,
 * which may be old: they use only julianday() and length(), no unixepoch()/octet_length().
 */

const NOW = "((julianday('now') - 2440587.5) * 86400.0)";
const ALL = sqlStatusList(STATUS_NAMES);
const TERMINAL = sqlStatusList(TERMINAL_STATUSES);
const LENGTH = (row: string): string => `COALESCE(length(CAST(${row}.content AS BLOB)), 0)`;

const statements = [
  `CREATE TABLE threads (
     thread_id TEXT PRIMARY KEY,
     title TEXT,
     modules TEXT,
     timestamp REAL DEFAULT ${NOW},
     metadata TEXT
   )`,
  `CREATE TABLE messages (
     message_id TEXT PRIMARY KEY,
     thread_id TEXT NOT NULL,
     module TEXT,
     content TEXT,
     type TEXT,
     timestamp REAL DEFAULT ${NOW},
     status TEXT DEFAULT 'pending',
     metadata TEXT,
     error TEXT,
     updated_at REAL,
     completed_at REAL
   )`,
  `CREATE INDEX messages_thread ON messages(thread_id, timestamp)`,
  `CREATE INDEX messages_status ON messages(status)`,
  `CREATE TABLE monitors (
     message_id TEXT PRIMARY KEY,
     registered_at REAL NOT NULL,
     timeout_ms INTEGER,
     deadline_at REAL,
     labels TEXT NOT NULL DEFAULT '{}'
   )`,
  `CREATE TABLE message_events (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     message_id TEXT NOT NULL,
     thread_id TEXT,
     kind TEXT NOT NULL,
     from_status TEXT,
     to_status TEXT,
     content_length INTEGER NOT NULL DEFAULT 0,
     time REAL NOT NULL DEFAULT ${NOW},
     detail TEXT
   )`,
  `CREATE INDEX message_events_message ON message_events(message_id, seq)`,
  // Monitored messages whose content changed since the poller last sampled them.
  `CREATE TABLE content_changes (message_id TEXT PRIMARY KEY)`,
  `CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT)`,

  `CREATE TRIGGER messages_status_valid_insert BEFORE INSERT ON messages
   WHEN NEW.status IS NULL OR NEW.status NOT IN ${ALL}
   BEGIN SELECT RAISE(ABORT, 'claude-comms: invalid status; use one of pending, processing, complete, failed, timed_out, cancelled'); END`,
  `CREATE TRIGGER messages_status_valid_update BEFORE UPDATE OF status ON messages
   WHEN NEW.status IS NULL OR NEW.status NOT IN ${ALL}
   BEGIN SELECT RAISE(ABORT, 'claude-comms: invalid status; use one of pending, processing, complete, failed, timed_out, cancelled'); END`,
  `CREATE TRIGGER messages_terminal_final BEFORE UPDATE OF status ON messages
   WHEN OLD.status IN ${TERMINAL} AND NEW.status IS NOT OLD.status
   BEGIN SELECT RAISE(ABORT, 'claude-comms: the message is in a terminal status, which is final'); END`,
  `CREATE TRIGGER messages_log_insert AFTER INSERT ON messages
   BEGIN
     INSERT INTO message_events (message_id, thread_id, kind, from_status, to_status, content_length, time, detail)
     VALUES (NEW.message_id, NEW.thread_id, 'created', NULL, NEW.status, ${LENGTH("NEW")}, ${NOW}, NEW.error);
   END`,
  `CREATE TRIGGER messages_log_status AFTER UPDATE OF status ON messages
   WHEN NEW.status IS NOT OLD.status
   BEGIN
     INSERT INTO message_events (message_id, thread_id, kind, from_status, to_status, content_length, time, detail)
     VALUES (NEW.message_id, NEW.thread_id, 'status_changed', OLD.status, NEW.status, ${LENGTH("NEW")}, ${NOW}, NEW.error);
   END`,
  // Writers that do not maintain updated_at/completed_at (the original tool's) get them here.
  `CREATE TRIGGER messages_touch AFTER UPDATE ON messages
   WHEN NEW.updated_at IS OLD.updated_at OR (NEW.status IN ${TERMINAL} AND NEW.completed_at IS NULL)
   BEGIN
     UPDATE messages SET
       updated_at = CASE WHEN NEW.updated_at IS OLD.updated_at THEN ${NOW} ELSE NEW.updated_at END,
       completed_at = CASE WHEN NEW.status IN ${TERMINAL} AND NEW.completed_at IS NULL THEN ${NOW} ELSE NEW.completed_at END
     WHERE message_id = NEW.message_id;
   END`,
  `CREATE TRIGGER messages_content_changed AFTER UPDATE OF content ON messages
   WHEN NEW.content IS NOT OLD.content AND EXISTS (SELECT 1 FROM monitors WHERE message_id = NEW.message_id)
   BEGIN INSERT OR IGNORE INTO content_changes (message_id) VALUES (NEW.message_id); END`,
];

/** Creates the SQLite tables, indexes and triggers. */
export async function upSqlite(knex: Knex): Promise<void> {
  for (const sql of statements) await knex.raw(sql);
}
