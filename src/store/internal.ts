import type { Knex } from "knex";
import type { WriteOp } from "./group-commit.js";
import type { Store } from "./store.js";

/**
 * The raw handles of an open store, which the `Store` interface does not hand out: the knex
 * instance of the writer, and one raw statement outside a transaction. Only code in
 * `src/store/` uses them (appendContent's hot single-statement write), plus tests and
 * benchmarks that inspect the database itself (pragmas, the migration table, raw timings).
 * Every other layer reads and writes through the store's named functions.
 */
export interface StoreInternals {
  /** The knex instance of the writer. */
  readonly knex: Knex;
  /**
   * Runs one statement on its own, outside any transaction (a single statement is atomic by
   * itself), and returns its rows (`RETURNING`), with write()'s busy retry, domain errors,
   * health record and change notification, at a fraction of a transaction's cost. `sql`
   * uses `?` placeholders.
   */
  writeStatement<T>(sql: string, bindings: readonly unknown[]): Promise<T[]>;
  /**
   * SQLite only (undefined on PostgreSQL): runs a synchronous `op` on the writer's raw
   * connection in the next group commit (group-commit.ts), with the busy retry, domain
   * errors, health record and one change notification per group. The hot writes use it.
   */
  readonly grouped?: <T>(op: WriteOp<T>) => Promise<T>;
}

const internals = new WeakMap<Store, StoreInternals>();

/** Attaches `inner` to `store` (called once by the store's opener); returns the store. */
export function withInternals(store: Store, inner: StoreInternals): Store {
  internals.set(store, inner);
  return store;
}

/** The raw handles of a store opened by openStore (see StoreInternals for who may use them). */
export function storeInternals(store: Store): StoreInternals {
  const inner = internals.get(store);
  if (!inner) throw new Error("storeInternals: this store was not opened by openStore");
  return inner;
}
