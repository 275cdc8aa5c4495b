import type { Knex } from "knex";
import { dialectOf } from "../dialect.js";

/*
 * Modules (who can be asked), agent runs (which responses an agent is producing, and for
 * which daemon), and daemon leases: a daemon renews its lease while it runs; the runs of a
 * daemon whose lease expired lost their agent and are failed, so nothing stays unfinished.
 */

/** Creates `modules`, `agent_runs` and `daemons`. */
export async function up(knex: Knex): Promise<void> {
  const real = dialectOf(knex).name === "postgres" ? "DOUBLE PRECISION" : "REAL";
  await knex.raw(`CREATE TABLE modules (
    name TEXT PRIMARY KEY,
    directory TEXT NOT NULL,
    system_prompt TEXT,
    agent_command TEXT,
    updated_at ${real} NOT NULL
  )`);
  await knex.raw(`CREATE TABLE agent_runs (
    message_id TEXT PRIMARY KEY,
    module TEXT NOT NULL,
    daemon_id TEXT NOT NULL,
    agent_pid INTEGER,
    started_at ${real} NOT NULL
  )`);
  await knex.raw(`CREATE TABLE daemons (
    daemon_id TEXT PRIMARY KEY,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    started_at ${real} NOT NULL,
    lease_until ${real} NOT NULL
  )`);
}

/** Drops them. */
export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists("daemons");
  await knex.schema.dropTableIfExists("agent_runs");
  await knex.schema.dropTableIfExists("modules");
}
