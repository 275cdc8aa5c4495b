import type { Knex } from "knex";
import * as initial from "./0001_initial.js";
import * as modules from "./0002_modules.js";
import * as agentSessions from "./0003_agent_sessions.js";

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/** Every migration, in order. Migrations are never edited after they land: add a new one. */
const MIGRATIONS: ReadonlyArray<readonly [string, Migration]> = [
  ["0001_initial", initial],
  ["0002_modules", modules],
  ["0003_agent_sessions", agentSessions],
];

/** A knex migration source over the migrations compiled into the program. */
export const migrationSource: Knex.MigrationSource<readonly [string, Migration]> = {
  async getMigrations() {
    return [...MIGRATIONS];
  },
  getMigrationName(migration) {
    return migration[0];
  },
  async getMigration(migration) {
    return migration[1];
  },
};
