/**
 * The SQL that differs between SQLite and PostgreSQL, in one place. Everything else the
 * store runs is portable SQL with `?` placeholders.
 */
export interface Dialect {
  readonly name: "sqlite" | "postgres";
  /** Length in UTF-8 bytes of a TEXT expression, 0 for NULL. */
  byteLength(expr: string): string;
  /** The TEXT expression from a byte offset (one `?` placeholder: the offset). */
  fromByte(expr: string): string;
  /** An expression merging the JSON object text in `?` into a JSON-object column. */
  mergeJson(column: string): string;
  /** The larger of two expressions (scalar). */
  greatest(a: string, b: string): string;
  /** A table `alias` with one TEXT column `value`: the strings of the JSON array text in `?`. */
  jsonStrings(alias: string): string;
  /** Whether `SELECT … FOR UPDATE` locks rows (SQLite's write transaction locks everything). */
  readonly rowLocks: boolean;
}

/** SQLite (through better-sqlite3). */
export const SQLITE: Dialect = {
  name: "sqlite",
  // octet_length (SQLite 3.43+, the daemon's bundled library) reads the size from the row's
  // header; length(CAST(… AS BLOB)) loaded the whole text first (a large answer, on every
  // read of the message). The triggers keep length(CAST …): they run in external writers'
  // older libraries too (see the migrations).
  byteLength: (expr) => `COALESCE(octet_length(${expr}), 0)`,
  fromByte: (expr) => `CAST(substr(CAST(${expr} AS BLOB), ? + 1) AS TEXT)`,
  mergeJson: (column) =>
    `json_patch(CASE WHEN json_valid(${column}) AND json_type(${column}) = 'object' THEN ${column} ELSE '{}' END, ?)`,
  greatest: (a, b) => `MAX(${a}, ${b})`,
  jsonStrings: (alias) => `json_each(?) AS ${alias}`,
  rowLocks: false,
};

/** PostgreSQL (through pg). */
export const POSTGRES: Dialect = {
  name: "postgres",
  byteLength: (expr) => `COALESCE(octet_length(${expr}), 0)`,
  fromByte: (expr) => `convert_from(substring(convert_to(${expr}, 'UTF8') FROM CAST(? AS integer) + 1), 'UTF8')`,
  mergeJson: (column) =>
    `(CASE WHEN claude_comms_is_json_object(${column}) THEN ${column}::jsonb ELSE '{}'::jsonb END || CAST(? AS jsonb))::text`,
  greatest: (a, b) => `GREATEST(${a}, ${b})`,
  jsonStrings: (alias) => `json_array_elements_text(CAST(? AS json)) AS ${alias}(value)`,
  rowLocks: true,
};

/** The dialect of a knex instance or transaction. */
export function dialectOf(knex: { client: { config: { client: unknown } } }): Dialect {
  const client = knex.client.config.client;
  return typeof client === "string" && (client === "pg" || client === "postgres" || client === "postgresql") ? POSTGRES : SQLITE;
}
