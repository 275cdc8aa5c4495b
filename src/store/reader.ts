import type { Dialect } from "./dialect.js";

/**
 * Reads from the store. `snapshot` runs several reads in one read transaction, so they see
 * one consistent state (a message and the log head, say) and never an uncommitted write.
 * SQL uses `?` placeholders on every dialect; dialect-specific fragments come from
 * `reader.dialect`.
 */
export interface Reader {
  readonly dialect: Dialect;
  /** Every row of SQL with positional `?` bindings. */
  all<T>(sql: string, bindings?: readonly unknown[]): Promise<T[]>;
  /** The first row, or undefined. */
  get<T>(sql: string, bindings?: readonly unknown[]): Promise<T | undefined>;
  /** Runs `fn` inside one read transaction (nested calls join the outer one). */
  snapshot<T>(fn: (reader: Reader) => Promise<T>): Promise<T>;
}
