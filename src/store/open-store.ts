import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import knexFactory from "knex";
import type { Knex } from "knex";
import { StoreBusyError, domainErrorFromDriver, isRetryable } from "./errors.js";
import { StoreHealth } from "./health.js";
import { migrationSource } from "./migrations/index.js";
import { Reader } from "./reader.js";
import { SqliteClient } from "./sqlite-client.js";

/** How the store is opened. */
export interface StoreOptions {
  /** Path of the SQLite file (created when missing). */
  path: string;
  /** `synchronous` pragma on every connection: NORMAL (default; durable across process
   * crashes, not power loss, in WAL mode) or FULL (also across power loss, slower). */
  synchronous?: "NORMAL" | "FULL";
  /** How long a write waits for another writer's lock before it fails UNAVAILABLE; default 5000 ms. */
  busyTimeoutMs?: number;
}

/** An open store: the writer (knex) and a reader connection over one SQLite file. */
export interface Store {
  /** The knex instance for the writer connection (query building and migrations). */
  readonly knex: Knex;
  /** Consistent synchronous reads. */
  readonly reader: Reader;
  /** Human-readable location, for example `sqlite:/home/me/.claude-comms/comms.db`. */
  readonly description: string;
  /**
   * Runs `fn` in a write transaction that begins IMMEDIATE. While another process holds the
   * write lock it retries (without blocking the event loop) until the busy timeout, then
   * throws StoreBusyError. Driver errors become domain errors.
   */
  write<T>(fn: (trx: Knex.Transaction) => Promise<T>): Promise<T>;
  /** Whether writes succeed (updated by every write). */
  readonly health: StoreHealth;
  /** A tiny write that proves the store takes writes (updates `health`). */
  probe(): Promise<void>;
  /** Size of the database file and its write-ahead log in bytes. */
  sizeBytes(): number;
  /** Closes both connections. Idempotent. */
  close(): Promise<void>;
}

// Each connection blocks the event loop at most this long on a lock; longer waits are
// retried asynchronously by write() up to the configured busy timeout.
const DRIVER_BUSY_MS = 20;

/** Opens (and migrates) the store at `options.path`. */
export async function openStore(options: StoreOptions): Promise<Store> {
  const file = path.resolve(options.path);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const synchronous = options.synchronous ?? "NORMAL";
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
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
  const writeWithRetry = async <T>(fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> => {
    try {
      const result = await retryBusy(() => knex.transaction(fn), busyTimeoutMs);
      health.record();
      return result;
    } catch (err) {
      health.record(err);
      throw err;
    }
  };
  try {
    await writeWithRetry(async () => undefined); // surfaces a locked or unreadable file early
    await retryBusy(() => knex.migrate.latest({ migrationSource }), busyTimeoutMs);
  } catch (err) {
    await knex.destroy();
    throw domainErrorFromDriver(err) ?? err;
  }
  const readerDb = new Database(file);
  configureConnection(readerDb, synchronous);
  readerDb.pragma("query_only = ON");
  let closed: Promise<void> | undefined;
  return {
    knex,
    reader: new Reader(readerDb),
    description: `sqlite:${file}`,
    write: writeWithRetry,
    health,
    probe: () =>
      writeWithRetry(async (trx) => {
        await trx.raw(
          "INSERT INTO store_meta (key, value) VALUES ('health_probe', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
          [String(Date.now())],
        );
      }),
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

async function retryBusy<T>(attempt: () => Promise<T>, budgetMs: number): Promise<T> {
  const start = performance.now();
  for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
    try {
      return await attempt();
    } catch (err) {
      if (!isRetryable(err)) throw domainErrorFromDriver(err) ?? err;
      if (performance.now() - start + delay > budgetMs) {
        throw new StoreBusyError(
          `the store is locked by another writer for over ${budgetMs} ms; retry shortly`,
          { cause: err },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}
