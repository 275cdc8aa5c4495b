import type BetterSqlite3 from "better-sqlite3";
import { SQLITE, type Dialect } from "./dialect.js";
import type { Reader } from "./reader.js";

/**
 * Reads on a dedicated SQLite connection (WAL lets it read while the writer writes). Each
 * statement runs synchronously; `snapshot` wraps its reads in one deferred read transaction,
 * one snapshot at a time, and always ends it, so no read transaction stays open.
 */
export class SqliteReader implements Reader {
  readonly dialect: Dialect = SQLITE;
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  private queue: Promise<unknown> = Promise.resolve();
  private depth = 0;
  private dataVersionStatement: BetterSqlite3.Statement | undefined;

  constructor(private readonly db: BetterSqlite3.Database) {}

  async all<T>(sql: string, bindings: readonly unknown[] = []): Promise<T[]> {
    return this.prepare(sql).all(...bindings) as T[];
  }

  async get<T>(sql: string, bindings: readonly unknown[] = []): Promise<T | undefined> {
    return this.prepare(sql).get(...bindings) as T | undefined;
  }

  /** `PRAGMA data_version`: changes whenever another connection commits. */
  dataVersion(): number {
    // A prepared statement: db.pragma() would prepare one on every call (once per tick).
    this.dataVersionStatement ??= this.db.prepare("PRAGMA data_version").pluck();
    return this.dataVersionStatement.get() as number;
  }

  snapshot<T>(fn: (reader: Reader) => Promise<T>): Promise<T> {
    if (this.depth > 0) return fn(this);
    const run = async () => {
      this.depth++;
      this.db.exec("BEGIN");
      try {
        return await fn(this);
      } finally {
        this.db.exec("COMMIT");
        this.depth--;
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private prepare(sql: string): BetterSqlite3.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      if (this.statements.size >= 500) this.statements.clear();
      this.statements.set(sql, statement);
    }
    return statement;
  }
}
