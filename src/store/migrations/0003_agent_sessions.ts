import type { Knex } from "knex";
import { dialectOf } from "../dialect.js";

/*
 * What the agent runner remembers beyond one run: each thread's Claude Code session per
 * module (a follow-up resumes it), each module's agent settings (model, permission mode,
 * tools, turns, appended prompt, env), and, for a running agent, the start time of its
 * process and the host, so a restarted daemon can end a group it left behind without ever
 * killing a process that merely reused the pid.
 */

/** Creates `agent_sessions`; adds `modules.agent_settings`, `agent_runs.agent_start` and `agent_runs.host`. */
export async function up(knex: Knex): Promise<void> {
  const real = dialectOf(knex).name === "postgres" ? "DOUBLE PRECISION" : "REAL";
  await knex.raw(`CREATE TABLE agent_sessions (
    thread_id TEXT NOT NULL,
    module TEXT NOT NULL,
    session_id TEXT NOT NULL,
    updated_at ${real} NOT NULL,
    PRIMARY KEY (thread_id, module)
  )`);
  await knex.raw("ALTER TABLE modules ADD COLUMN agent_settings TEXT");
  await knex.raw("ALTER TABLE agent_runs ADD COLUMN agent_start TEXT");
  await knex.raw("ALTER TABLE agent_runs ADD COLUMN host TEXT");
}

/** Drops them. */
export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists("agent_sessions");
  await knex.schema.alterTable("modules", (t) => t.dropColumn("agent_settings"));
  await knex.schema.alterTable("agent_runs", (t) => {
    t.dropColumn("agent_start");
    t.dropColumn("host");
  });
}
