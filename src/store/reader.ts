import type BetterSqlite3 from "better-sqlite3";
import type { Knex } from "knex";

/**
 * Runs reads on a dedicated read connection, synchronously, inside one read transaction,
 * so several statements see one consistent snapshot (a message and the log head, say) and
 * never see a write transaction that is still open on the writer connection.
 */
export class Reader {
  private readonly statements = new Map<string, BetterSqlite3.Statement>();

  constructor(private readonly db: BetterSqlite3.Database) {}

  /** Every row of a knex-built query (or of raw SQL with positional bindings). */
  all<T>(query: Knex.QueryBuilder | string, bindings: readonly unknown[] = []): T[] {
    const { sql, values } = compile(query, bindings);
    return this.prepare(sql).all(...values) as T[];
  }

  /** The first row, or undefined. */
  get<T>(query: Knex.QueryBuilder | string, bindings: readonly unknown[] = []): T | undefined {
    const { sql, values } = compile(query, bindings);
    return this.prepare(sql).get(...values) as T | undefined;
  }

  /** `PRAGMA data_version`: changes whenever another connection commits. */
  dataVersion(): number {
    return this.db.pragma("data_version", { simple: true }) as number;
  }

  /** Runs `fn` inside one read transaction (nested calls join the outer one). */
  snapshot<T>(fn: (reader: Reader) => T): T {
    if (this.db.inTransaction) return fn(this);
    return this.db.transaction(() => fn(this)).deferred();
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

function compile(
  query: Knex.QueryBuilder | string,
  bindings: readonly unknown[],
): { sql: string; values: unknown[] } {
  if (typeof query === "string") return { sql: query, values: [...bindings] };
  const native = query.toSQL().toNative();
  return { sql: native.sql, values: native.bindings.map((b) => (typeof b === "boolean" ? Number(b) : b)) };
}
