import ClientBetterSqlite3 from "knex/lib/dialects/better-sqlite3/index.js";
import TransactionSqlite from "knex/lib/dialects/sqlite3/execution/sqlite-transaction.js";
import type BetterSqlite3 from "better-sqlite3";

/*
 * knex's SQLite transactions start with a deferred `BEGIN`. A read-then-write transaction
 * then fails at once with SQLITE_BUSY_SNAPSHOT when another process commits in between,
 * whatever the busy timeout. Every write transaction here begins IMMEDIATE instead, which
 * takes the write lock up front. knex has no option for it, so this is the one place that
 * extends knex's better-sqlite3 dialect (pinned version, see package.json). It also caches
 * prepared statements per connection (knex prepares each query anew).
 */

interface QueryObject {
  sql: string;
  bindings?: unknown[];
  response?: unknown;
  context?: { lastID: number | bigint; changes: number };
}

type Base = {
  query(conn: unknown, sql: string): Promise<unknown>;
};

class ImmediateTransaction extends (TransactionSqlite as unknown as new (...args: unknown[]) => Base) {
  begin(conn: unknown): Promise<unknown> {
    return this.query(conn, "BEGIN IMMEDIATE;");
  }
}

type ClientBase = {
  _formatBindings(bindings: unknown[] | undefined): unknown[];
};

const statementCache = new WeakMap<BetterSqlite3.Database, Map<string, BetterSqlite3.Statement>>();

/** The statement for `sql` on `db`, prepared once per connection and cached. */
export function prepared(db: BetterSqlite3.Database, sql: string): BetterSqlite3.Statement {
  let cache = statementCache.get(db);
  if (!cache) {
    cache = new Map();
    statementCache.set(db, cache);
  }
  let statement = cache.get(sql);
  if (!statement) {
    statement = db.prepare(sql);
    // Keep the cache bounded: queries with IN-lists of varying length make many texts.
    if (cache.size >= 500) cache.clear();
    cache.set(sql, statement);
  }
  return statement;
}

/** Runs one statement on `db` (prepared once per connection) and returns its rows, if any. */
export function runStatement<T>(db: BetterSqlite3.Database, sql: string, bindings: readonly unknown[]): T[] {
  const statement = prepared(db, sql);
  if (statement.reader) return statement.all(...bindings) as T[];
  statement.run(...bindings);
  return [];
}

/** The knex client class for SQLite used by the store. */
export class SqliteClient extends (ClientBetterSqlite3 as unknown as new (config: unknown) => ClientBase) {
  transaction(...args: unknown[]): unknown {
    return new ImmediateTransaction(this, ...args);
  }

  async _query(connection: BetterSqlite3.Database, obj: QueryObject): Promise<QueryObject> {
    if (!obj.sql) throw new Error("The query is empty");
    const statement = prepared(connection, obj.sql);
    const bindings = this._formatBindings(obj.bindings);
    if (statement.reader) {
      obj.response = statement.all(bindings);
      return obj;
    }
    const result = statement.run(bindings);
    obj.response = result;
    obj.context = { lastID: result.lastInsertRowid, changes: result.changes };
    return obj;
  }
}
