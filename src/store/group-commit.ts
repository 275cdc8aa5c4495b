import type BetterSqlite3 from "better-sqlite3";
import { StoreBusyError, domainErrorFromDriver, isRetryable } from "./errors.js";
import type { StoreHealth } from "./health.js";
import { prepared } from "./sqlite-client.js";

/** A synchronous piece of a write, run on the writer's raw connection inside the group's transaction. */
export type WriteOp<T> = (db: BetterSqlite3.Database) => T;

interface Pending {
  op: WriteOp<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
  result?: unknown;
}

/** What a GroupCommitter needs from the store that owns it. */
export interface GroupCommitOptions {
  /** Takes the writer's connection (waits while a knex transaction holds it). */
  acquire(): Promise<BetterSqlite3.Database>;
  release(db: BetterSqlite3.Database): void;
  health: StoreHealth;
  busyTimeoutMs: number;
  /** Called once per committed group (the change listeners). */
  onCommit(): void;
}

/**
 * Group commit for SQLite: the writes that arrive while the writer is busy (or in the same
 * turn of the event loop) share one IMMEDIATE transaction and one commit, so one fsync
 * (synchronous=FULL) serves them all. Each write is a synchronous op inside its own
 * SAVEPOINT: a write that throws (an illegal transition, an unknown id) is rolled back alone
 * and rejects alone; the others commit. Every promise settles only after the COMMIT has
 * returned, so an acknowledged write is on disk (within `synchronous`'s promise).
 */
export class GroupCommitter {
  private queue: Pending[] = [];
  private scheduled = false;

  constructor(private readonly options: GroupCommitOptions) {}

  /** Runs `op` in the next group; resolves with its result once the group committed. */
  run<T>(op: WriteOp<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ op, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.flush);
      }
    });
  }

  private readonly flush = async (): Promise<void> => {
    let db: BetterSqlite3.Database;
    try {
      db = await this.options.acquire();
    } catch (err) {
      return this.failAll(this.take(), err);
    }
    // Writes that arrived while the connection was busy join this group.
    const group = this.take();
    try {
      await this.commitWithRetry(db, group);
    } finally {
      this.options.release(db);
    }
  };

  private take(): Pending[] {
    const group = this.queue;
    this.queue = [];
    this.scheduled = false;
    return group;
  }

  /** Commits `group`, retrying the whole group while the lock is held elsewhere (another process). */
  private async commitWithRetry(db: BetterSqlite3.Database, group: Pending[]): Promise<void> {
    const start = performance.now();
    for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
      let committed: Pending[];
      try {
        committed = commitGroup(db, group);
      } catch (err) {
        if (isRetryable(err) && performance.now() - start + delay <= this.options.busyTimeoutMs) {
          await new Promise((resolve) => setTimeout(resolve, delay));
          continue;
        }
        const busy = isRetryable(err);
        const budget = this.options.busyTimeoutMs;
        return this.failAll(
          group,
          busy ? new StoreBusyError(`the store is locked by another writer for over ${budget} ms; retry shortly`, { cause: err }) : err,
        );
      }
      this.options.health.record();
      if (committed.length) this.options.onCommit();
      for (const pending of group) if (pending.result !== FAILED) pending.resolve(pending.result);
      return;
    }
  }

  private failAll(group: Pending[], err: unknown): void {
    const error = domainErrorFromDriver(err) ?? err;
    this.options.health.record(error);
    for (const pending of group) pending.reject(error);
  }
}

const FAILED = Symbol("failed");

/**
 * One attempt: BEGIN IMMEDIATE, each op in its savepoint, COMMIT. Rejects the ops that
 * failed on their own (and marks them FAILED); throws when the group as a whole failed
 * (lock, disk), after rolling back. Returns the ops that committed.
 */
function commitGroup(db: BetterSqlite3.Database, group: Pending[]): Pending[] {
  prepared(db, "BEGIN IMMEDIATE").run();
  const committed: Pending[] = [];
  try {
    for (const pending of group) {
      prepared(db, "SAVEPOINT w").run();
      try {
        pending.result = pending.op(db);
        prepared(db, "RELEASE w").run();
        committed.push(pending);
      } catch (err) {
        // A failure that ended the transaction (disk full, I/O) fails the group.
        if (!db.inTransaction) throw err;
        prepared(db, "ROLLBACK TO w").run();
        prepared(db, "RELEASE w").run();
        pending.result = FAILED;
        pending.reject(domainErrorFromDriver(err) ?? err);
      }
    }
    prepared(db, "COMMIT").run();
    return committed;
  } catch (err) {
    // Ops rejected alone above stay rejected (a promise settles once); the caller settles the rest.
    if (db.inTransaction) prepared(db, "ROLLBACK").run();
    throw err;
  }
}
