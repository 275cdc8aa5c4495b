import type { Knex } from "knex";
import { dialectOf } from "../dialect.js";
import { upPostgres } from "./0001_initial_postgres.js";
import { upSqlite } from "./0001_initial_sqlite.js";

/** Creates threads, messages, monitors, the event log and its triggers, per dialect. */
export async function up(knex: Knex): Promise<void> {
  await (dialectOf(knex).name === "postgres" ? upPostgres(knex) : upSqlite(knex));
}

/** Drops everything `up` made. */
export async function down(knex: Knex): Promise<void> {
  for (const table of ["content_changes", "store_meta", "message_events", "monitors", "messages", "threads"]) {
    await knex.schema.dropTableIfExists(table);
  }
}
