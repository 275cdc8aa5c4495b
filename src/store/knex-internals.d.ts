// Type declarations for the two knex internals the SQLite dialect extends (see sqlite-client.ts).
declare module "knex/lib/dialects/better-sqlite3/index.js" {
  const ClientBetterSqlite3: new (config: unknown) => object;
  export default ClientBetterSqlite3;
}
declare module "knex/lib/dialects/sqlite3/execution/sqlite-transaction.js" {
  const TransactionSqlite: new (...args: unknown[]) => object;
  export default TransactionSqlite;
}
