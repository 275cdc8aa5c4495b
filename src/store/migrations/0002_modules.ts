import type { Knex } from "knex";

/*
 * Modules (who can be asked) and agent runs (which responses an agent of this daemon is
 * producing, so a restarted daemon can finish what its predecessor left behind).
 */

/** Creates `modules` and `agent_runs`. */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`CREATE TABLE modules (
    name TEXT PRIMARY KEY,
    directory TEXT NOT NULL,
    system_prompt TEXT,
    agent_command TEXT,
    updated_at REAL NOT NULL
  )`);
  await knex.raw(`CREATE TABLE agent_runs (
    message_id TEXT PRIMARY KEY,
    module TEXT NOT NULL,
    daemon_pid INTEGER NOT NULL,
    agent_pid INTEGER,
    started_at REAL NOT NULL
  )`);
}

/** Drops them. */
export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists("agent_runs");
  await knex.schema.dropTableIfExists("modules");
}
