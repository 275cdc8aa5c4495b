import type { Knex } from "knex";
import type { Dialect } from "./dialect.js";
import { StoreBusyError, domainErrorFromDriver, isRetryable } from "./errors.js";
import type { StoreHealth } from "./health.js";
import type { Reader } from "./reader.js";

/** How the store is opened. */
export interface StoreOptions {
  /** `sqlite:PATH` or `postgres://…` (`postgresql://…`). */
  url?: string;
  /** Path of a SQLite file (created when missing); the same as `url: "sqlite:PATH"`. */
  path?: string;
  /** SQLite `synchronous` on every connection: NORMAL (default; durable across process
   * crashes, not power loss, in WAL mode) or FULL (also across power loss, slower). */
  synchronous?: "NORMAL" | "FULL";
  /** How long a write waits for another writer's lock before it fails UNAVAILABLE; default 5000 ms. */
  busyTimeoutMs?: number;
  /** Called with problems the store works around by itself (a failed background WAL checkpoint). */
  onWarning?: (message: string) => void;
}

/** How one write behaves. */
export interface WriteOptions {
  /**
   * Whether the change listeners hear of this commit (default true). False only for the
   * poller's own writes (progress samples, timeouts, expiries, compaction), which it
   * publishes in the same tick: hearing of them would cost it an extra tick each time.
   */
  notify?: boolean;
}

/**
 * An open store: a writer, a reader, and how to learn that others wrote. Other layers pass
 * `reader` and write()'s transaction to the store's named functions and write no SQL
 * themselves; the raw handles are store-internal (internal.ts).
 */
export interface Store {
  /** Consistent reads, for the store's query functions. */
  readonly reader: Reader;
  readonly dialect: Dialect;
  /** Where it is, for example `sqlite:/home/me/.claude-comms/comms.db` (no password). */
  readonly description: string;
  /**
   * Runs `fn` in a write transaction (SQLite: BEGIN IMMEDIATE). While another writer holds
   * the lock, or the transaction must be retried, it retries without blocking the event
   * loop until the busy timeout, then throws StoreBusyError. Driver errors become domain
   * errors. After the commit it calls the change listeners, unless `options.notify` is false.
   */
  write<T>(fn: (trx: Knex.Transaction) => Promise<T>, options?: WriteOptions): Promise<T>;
  /** Whether writes succeed (updated by every write). */
  readonly health: StoreHealth;
  /** A tiny write that proves the store takes writes (updates `health`). */
  probe(): Promise<void>;
  /**
   * A number that changes whenever another connection commits (SQLite's data_version; on
   * PostgreSQL the count of notifications). NaN while that cannot be known, so a poller
   * comparing it never skips a tick.
   */
  changeVersion(): number;
  /**
   * Calls `listener` after every committed write of this store (`write` and
   * the internal single statement, both dialects; not the health probe), and on PostgreSQL also when
   * another daemon commits (NOTIFY). Returns the unsubscribe. The poller subscribes, so a
   * write reaches watchers without anyone waking it by hand.
   */
  onChange(listener: () => void): () => void;
  /**
   * Whether this process should run the singleton duties (deadlines, retention, compaction,
   * lease sweeps): always on SQLite (one daemon per store); on PostgreSQL the holder of an
   * advisory lock, taken over when its holder dies.
   */
  isLeader(): Promise<boolean>;
  /** Size of the stored data in bytes (0 when unknown). */
  sizeBytes(): number;
  /** Closes every connection. Idempotent. */
  close(): Promise<void>;
}

/**
 * Wraps `knex.transaction` with the busy retry, the health record and the commit
 * notification that every dialect shares.
 */
export function createWriter(
  knex: Knex,
  busyTimeoutMs: number,
  health: StoreHealth,
  onCommit: () => void,
  config?: Knex.TransactionConfig,
): Store["write"] {
  return (fn, options) =>
    recordedWrite(health, busyTimeoutMs, () => knex.transaction(fn, config), options?.notify === false ? undefined : onCommit);
}

/**
 * Runs a write `attempt` with the busy retry, records its outcome in `health`, and calls
 * `onCommit` once it committed (before the caller sees the result).
 */
export async function recordedWrite<T>(
  health: StoreHealth,
  busyTimeoutMs: number,
  attempt: () => Promise<T>,
  onCommit?: () => void,
): Promise<T> {
  try {
    const result = await retryBusy(attempt, busyTimeoutMs);
    health.record();
    onCommit?.();
    return result;
  } catch (err) {
    health.record(err);
    throw err;
  }
}

/** Retries `attempt` while it fails retryably (busy, serialization), up to `budgetMs`. */
export async function retryBusy<T>(attempt: () => Promise<T>, budgetMs: number): Promise<T> {
  const start = performance.now();
  for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
    try {
      return await attempt();
    } catch (err) {
      if (!isRetryable(err)) throw domainErrorFromDriver(err) ?? err;
      if (performance.now() - start + delay > budgetMs) {
        throw new StoreBusyError(`the store is locked by another writer for over ${budgetMs} ms; retry shortly`, {
          cause: err,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** The statement every probe runs: a tiny upsert into store_meta. */
export async function probeWrite(trx: Knex.Transaction): Promise<void> {
  await trx.raw(
    "INSERT INTO store_meta (key, value) VALUES ('health_probe', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    [String(Date.now())],
  );
}
