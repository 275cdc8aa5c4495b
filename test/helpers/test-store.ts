import { randomBytes } from "node:crypto";
import pg from "pg";

/*
 * Which store the daemons of a test run use. By default SQLite in each test's home; with
 * CLAUDE_COMMS_TEST_PG=postgres://admin@host:port/db (set by `npm test` against a throwaway
 * cluster) each home gets a fresh PostgreSQL database, kept for restarts of that home.
 */

/** The admin URL of the PostgreSQL server the tests run against, when they do. */
export const TEST_PG = process.env.CLAUDE_COMMS_TEST_PG || undefined;

/** True when this run's daemons use PostgreSQL. */
export const onPostgres = TEST_PG !== undefined;

const databases = new Map<string, string>();

/** A fresh, empty PostgreSQL database; returns its URL. */
export async function createTestDatabase(): Promise<string> {
  if (!TEST_PG) throw new Error("CLAUDE_COMMS_TEST_PG is not set");
  const name = `cc_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: TEST_PG });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_PG);
  url.pathname = `/${name}`;
  return url.toString();
}

/** `--store URL` for a daemon on `home` (none on SQLite: the home's default file). */
export async function storeArgsFor(home: string): Promise<string[]> {
  if (!TEST_PG) return [];
  let url = databases.get(home);
  if (!url) {
    url = await createTestDatabase();
    databases.set(home, url);
  }
  return ["--store", url];
}
