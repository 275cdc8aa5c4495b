import type { Knex } from "knex";
import { POSTGRES, type Dialect } from "./dialect.js";
import type { Reader } from "./reader.js";

/**
 * Reads through the PostgreSQL pool; `snapshot` runs its reads in one REPEATABLE READ,
 * READ ONLY transaction, so they share one snapshot.
 */
export class PgReader implements Reader {
  readonly dialect: Dialect = POSTGRES;

  constructor(
    private readonly db: Knex | Knex.Transaction,
    private readonly inTransaction = false,
  ) {}

  async all<T>(sql: string, bindings: readonly unknown[] = []): Promise<T[]> {
    const result = (await this.db.raw(sql, bindings as Knex.RawBinding[])) as { rows: T[] };
    return result.rows;
  }

  async get<T>(sql: string, bindings: readonly unknown[] = []): Promise<T | undefined> {
    return (await this.all<T>(sql, bindings))[0];
  }

  snapshot<T>(fn: (reader: Reader) => Promise<T>): Promise<T> {
    if (this.inTransaction) return fn(this);
    return (this.db as Knex).transaction((trx) => fn(new PgReader(trx, true)), {
      isolationLevel: "repeatable read",
      readOnly: true,
    });
  }
}
