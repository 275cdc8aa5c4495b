import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import knexFactory from "knex";
import { SQLITE } from "./dialect.js";
import { domainErrorFromDriver } from "./errors.js";
import { StoreHealth } from "./health.js";
import { migrationSource } from "./migrations/index.js";
import { SqliteClient } from "./sqlite-client.js";
import { SqliteReader } from "./sqlite-reader.js";
import { createWriter, probeWrite, retryBusy, type Store } from "./store.js";

// Each connection blocks the event loop at most this long on a lock; longer waits are
// retried asynchronously by write() up to the configured busy timeout.
const DRIVER_BUSY_MS = 20;

/** Opens (and migrates) a SQLite store: a writer through knex and a dedicated reader. */
export async function openSqliteStore(file: string, synchronous: "NORMAL" | "FULL", busyTimeoutMs: number): Promise<Store> {
  file = path.resolve(file);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
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
          done(null, conn);
        } catch (err) {
          done(err as Error, conn);
        }
      },
    },
  });
  const health = new StoreHealth();
  const write = createWriter(knex, busyTimeoutMs, health);
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
  let closed: Promise<void> | undefined;
  return {
    knex,
    reader,
    dialect: SQLITE,
    description: `sqlite:${file}`,
    write,
    health,
    probe: () => write(probeWrite),
    changeVersion: () => reader.dataVersion(),
    onChange: () => () => undefined, // SQLite cannot notify: the poller compares data_version
    isLeader: async () => true, // one daemon per SQLite store (the home's lock)
    sizeBytes: () => fileSize(file) + fileSize(`${file}-wal`),
    close() {
      closed ??= (async () => {
        try {
          readerDb.close();
        } finally {
          await knex.destroy();
        }
      })();
      return closed;
    },
  };
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
