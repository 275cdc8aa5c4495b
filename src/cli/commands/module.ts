import path from "node:path";
import {
  ListModulesResponseSchema,
  RegisterModuleResponseSchema,
  RemoveModuleResponseSchema,
} from "../../../gen/claude_comms/v1/module_service_pb.js";
import { UNARY_TIMEOUT_MS, type CommandContext } from "../context.js";
import { usageError } from "../errors.js";
import { formatTime, renderTable } from "../format.js";
import { createModuleClient } from "../../client/module-client.js";

interface AddOptions {
  dir: string;
  systemPrompt?: string;
  agentCommand?: string;
  model?: string;
  permissionMode?: string;
  allowedTool: string[];
  disallowedTool: string[];
  maxTurns?: string;
  appendSystemPrompt?: string;
  env: string[];
}

/** `module add NAME --dir PATH …`: registers a module (or updates it). */
export async function add(ctx: CommandContext, opts: AddOptions, name: string): Promise<number> {
  const agentCommand = opts.agentCommand === undefined ? [] : opts.agentCommand.trim().split(/\s+/).filter(Boolean);
  if (opts.agentCommand !== undefined && agentCommand.length === 0) {
    throw usageError("--agent-command is empty: give the program and its arguments, e.g. --agent-command 'claude -p'");
  }
  const modules = createModuleClient(ctx);
  const response = await modules.registerModule(
    { module: { name, directory: path.resolve(opts.dir), systemPrompt: opts.systemPrompt, agentCommand, ...agentSettings(opts) } },
    { timeoutMs: UNARY_TIMEOUT_MS },
  );
  if (ctx.globals.json) ctx.json(RegisterModuleResponseSchema, response);
  else ctx.out(`${response.created ? "registered" : "updated"} module ${name} (${response.module?.directory ?? path.resolve(opts.dir)})`);
  return 0;
}

/** The agent settings of `module add`, as Module fields. */
function agentSettings(opts: AddOptions) {
  const maxTurns = opts.maxTurns === undefined ? 0 : Number(opts.maxTurns);
  if (!Number.isInteger(maxTurns) || maxTurns < 0) throw usageError(`--max-turns must be a whole number, got ${JSON.stringify(opts.maxTurns)}`);
  const env: Record<string, string> = {};
  for (const pair of opts.env) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw usageError(`--env takes NAME=VALUE, got ${JSON.stringify(pair)}`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return {
    model: opts.model,
    permissionMode: opts.permissionMode,
    allowedTools: opts.allowedTool,
    disallowedTools: opts.disallowedTool,
    maxTurns,
    appendSystemPrompt: opts.appendSystemPrompt,
    env,
  };
}

/** `module list`: the registered modules by name. */
export async function list(ctx: CommandContext): Promise<number> {
  const modules = createModuleClient(ctx);
  const response = await modules.listModules({}, { timeoutMs: UNARY_TIMEOUT_MS });
  if (ctx.globals.json) {
    ctx.json(ListModulesResponseSchema, response);
    return 0;
  }
  if (response.modules.length === 0) {
    ctx.out("no modules (register one with: claude-comms module add NAME --dir PATH)");
    return 0;
  }
  const rows = response.modules.map((m) => [
    m.name,
    m.directory,
    m.agentCommand.join(" ") || "(default)",
    m.systemPrompt ? truncate(m.systemPrompt, 40) : "-",
    formatTime(m.updateTime),
  ]);
  ctx.out(renderTable(["NAME", "DIRECTORY", "AGENT COMMAND", "SYSTEM PROMPT", "UPDATED"], rows));
  return 0;
}

/** `module remove NAME`. */
export async function remove(ctx: CommandContext, _opts: object, name: string): Promise<number> {
  const modules = createModuleClient(ctx);
  const response = await modules.removeModule({ name }, { timeoutMs: UNARY_TIMEOUT_MS });
  if (ctx.globals.json) ctx.json(RemoveModuleResponseSchema, response);
  else ctx.out(`removed module ${name}`);
  return 0;
}

function truncate(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, " ");
  return oneLine.length <= max ? oneLine : oneLine.slice(0, max - 1) + "…";
}
