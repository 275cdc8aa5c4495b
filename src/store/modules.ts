import type { Knex } from "knex";
import type { AgentSettings } from "../common/agent-settings.js";
import { NotFoundError } from "./errors.js";
import type { Reader } from "./reader.js";
import { nowSeconds } from "./rows.js";

/** A module that can be asked questions. */
export interface ModuleRecord {
  name: string;
  directory: string;
  systemPrompt: string;
  /** Argument vector replacing the daemon's agent command; empty for the default. */
  agentCommand: string[];
  /** Flags and environment for its agent; `{}` for Claude Code's defaults. */
  agentSettings: AgentSettings;
  updatedAt: number;
}

interface ModuleRow {
  name: string;
  directory: string;
  system_prompt: string | null;
  agent_command: string | null;
  agent_settings?: string | null;
  updated_at: number;
}

function moduleFromRow(row: ModuleRow): ModuleRecord {
  let agentCommand: string[] = [];
  try {
    const parsed: unknown = row.agent_command ? JSON.parse(row.agent_command) : [];
    if (Array.isArray(parsed)) agentCommand = parsed.map(String);
  } catch {
    agentCommand = [];
  }
  return {
    name: row.name,
    directory: row.directory,
    systemPrompt: row.system_prompt ?? "",
    agentCommand,
    agentSettings: parseSettings(row.agent_settings),
    updatedAt: row.updated_at,
  };
}

/** The stored settings JSON; a row written by hand with bad JSON counts as none. */
function parseSettings(json: string | null | undefined): AgentSettings {
  try {
    const parsed: unknown = json ? JSON.parse(json) : {};
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as AgentSettings) : {};
  } catch {
    return {};
  }
}

/** Inserts or replaces a module; returns true when it is new. */
export async function upsertModule(trx: Knex.Transaction, input: Omit<ModuleRecord, "updatedAt">): Promise<boolean> {
  const existing = await trx("modules").select("name").where("name", input.name).first();
  const row = {
    directory: input.directory,
    system_prompt: input.systemPrompt || null,
    agent_command: input.agentCommand.length ? JSON.stringify(input.agentCommand) : null,
    agent_settings: Object.keys(input.agentSettings).length ? JSON.stringify(input.agentSettings) : null,
    updated_at: nowSeconds(),
  };
  if (existing) await trx("modules").where("name", input.name).update(row);
  else await trx("modules").insert({ name: input.name, ...row });
  return !existing;
}

/** Reads a module; NotFoundError with the command that registers it when unknown. */
export async function getModule(reader: Reader, name: string): Promise<ModuleRecord> {
  const row = await reader.get<ModuleRow>("SELECT * FROM modules WHERE name = ?", [name]);
  if (!row) {
    throw new NotFoundError(`module "${name}" is not registered (register it with: claude-comms module add ${name} --dir PATH)`);
  }
  return moduleFromRow(row);
}

/** Every module, by name. */
export async function listModules(reader: Reader): Promise<ModuleRecord[]> {
  return (await reader.all<ModuleRow>("SELECT * FROM modules ORDER BY name")).map(moduleFromRow);
}

/** Deletes a module; NotFoundError when unknown. */
export async function deleteModule(trx: Knex.Transaction, name: string): Promise<void> {
  const count = await trx("modules").where("name", name).delete();
  if (!count) throw new NotFoundError(`module "${name}" is not registered`);
}
