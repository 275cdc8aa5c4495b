import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import knexFactory from "knex";
import { makePrivate } from "../common/private-file.js";
import { ChangeListeners } from "./change-listeners.js";
import { SQLITE } from "./dialect.js";
import { domainErrorFromDriver } from "./errors.js";
import { StoreHealth } from "./health.js";
import { migrationSource } from "./migrations/index.js";
import { GroupCommitter } from "./group-commit.js";
import { SqliteCheckpointer } from "./sqlite-checkpointer.js";
import { runStatement, SqliteClient } from "./sqlite-client.js";
import { SqliteReader } from "./sqlite-reader.js";
import { withInternals } from "./internal.js";
import { createWriter, probeWrite, recordedWrite, retryBusy, type Store } from "./store.js";

// Each connection blocks the event loop at most this long on a lock; longer waits are
// retried asynchronously by write() up to the configured busy timeout.
const DRIVER_BUSY_MS = 20;

// The writer's own auto-checkpoint (SQLite's default is 1,000 pages) is only a backstop for
// a checkpointer thread that fell behind: the thread does the regular work off the event
// loop (sqlite-checkpointer.ts). 4,000 pages is 16 MiB of WAL.
const BACKSTOP_AUTOCHECKPOINT_PAGES = 4000;

/** How a SQLite store is opened (see StoreOptions). */
interface SqliteOptions {
  synchronous: "NORMAL" | "FULL";
  busyTimeoutMs: number;
  onWarning?: (message: string) => void;
}

/** Opens (and migrates) a SQLite store: a writer through knex and a dedicated reader. */
export async function openSqliteStore(file: string, options: SqliteOptions): Promise<Store> {
  const { synchronous, busyTimeoutMs } = options;
  file = path.resolve(file);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // Message content is private: SQLite gives -wal and -shm the database file's own mode.
  makePrivate(file);
  for (const side of ["-wal", "-shm"]) makePrivate(file + side, { optional: true });
  const knex = knexFactory({
    client: SqliteClient as unknown as typeof knexFactory.Client,
    connection: { filename: file },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate(conn: Database.Database, done: (err: Error | null, conn: unknown) => void) {
        try {
          configureConnection(conn, synchronous);
          conn.pragma(`wal_autocheckpoint = ${BACKSTOP_AUTOCHECKPOINT_PAGES}`);
          done(null, conn);
        } catch (err) {
          done(err as Error, conn);
        }
      },
    },
  });
  const health = new StoreHealth();
  const changes = new ChangeListeners();
  const write = createWriter(knex, busyTimeoutMs, health, changes.emit);
  try {
    await write(async () => undefined); // surfaces a locked or unreadable file early
    await retryBusy(() => knex.migrate.latest({ migrationSource }), busyTimeoutMs);
  } catch (err) {
    await knex.destroy();
    throw domainErrorFromDriver(err) ?? err;
  }
  const readerDb = new Database(file);
  configureConnection(readerDb, synchronous);
  readerDb.pragma("query_only = ON");
  const reader = new SqliteReader(readerDb);
  const checkpointer = new SqliteCheckpointer(file, { onError: options.onWarning });
  let closed: Promise<void> | undefined;
  const store: Store = {
    reader,
    dialect: SQLITE,
    description: `sqlite:${file}`,
    write,
    health,
    probe: () => recordedWrite(health, busyTimeoutMs, () => knex.transaction(probeWrite)),
    changeVersion: () => reader.dataVersion(),
    // Other processes cannot notify: the poller compares data_version for their commits.
    onChange: (listener) => changes.add(listener),
    isLeader: async () => true, // one daemon per SQLite store (the home's lock)
    sizeBytes: () => fileSize(file) + fileSize(`${file}-wal`),
    close() {
      closed ??= (async () => {
        try {
          await checkpointer.close();
          readerDb.close();
        } finally {
          await knex.destroy();
        }
      })();
      return closed;
    },
  };
  // On the writer's connection, taken from knex's pool so it never runs inside a knex transaction.
  const group = new GroupCommitter({
    acquire: async () => (await knex.client.acquireConnection()) as Database.Database,
    release: (db) => void knex.client.releaseConnection(db),
    health,
    busyTimeoutMs,
    onCommit: changes.emit,
  });
  const grouped = <T>(op: (db: Database.Database) => T) => group.run(op);
  return withInternals(store, {
    knex,
    writeStatement: (sql, bindings) => grouped((db) => runStatement(db, sql, bindings)),
    grouped,
  });
}

function configureConnection(conn: Database.Database, synchronous: string): void {
  conn.pragma("journal_mode = WAL");
  conn.pragma(`synchronous = ${synchronous}`);
  conn.pragma(`busy_timeout = ${DRIVER_BUSY_MS}`);
  conn.pragma("foreign_keys = ON");
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}
