import path from "node:path";
import type { ServiceImpl } from "@connectrpc/connect";
import type { Module, ModuleService } from "../../gen/claude_comms/v1/module_service_pb.js";
import type { AgentSettings } from "../common/agent-settings.js";
import { InvalidInputError } from "../common/errors.js";
import { deleteModule, getModule, listModules, upsertModule, type ModuleRecord } from "../store/modules.js";
import type { ServiceContext } from "./context.js";
import { metadataFromProto, moduleToProto } from "./convert.js";
import { requireOwnerOverUnixSocket } from "./peer.js";
import { optionalDurationMs, optionalId, requireId } from "./validate.js";

// The question goes to the agent's stdin, so no argv limit applies; a bound still keeps one
// ask from filling the store (the request limit, 4 MiB by default, is the outer bound).
const MAX_QUESTION_BYTES = 2 * 1024 * 1024;

/** The ModuleService handlers: register modules and ask them questions. */
export function moduleService(ctx: ServiceContext): ServiceImpl<typeof ModuleService> {
  const { store } = ctx;
  return {
    async registerModule(req, context) {
      const input = checkModule(req.module);
      // A command of the caller's choosing would run on this host as the daemon's user: that user only.
      if (input.agentCommand.length > 0) requireOwnerOverUnixSocket(context, "registering a module with an agent_command");
      // So would settings that widen what the agent may do (permission mode, tools, env).
      const widening = wideningSetting(input.agentSettings);
      if (widening) requireOwnerOverUnixSocket(context, `registering a module with ${widening}`);
      const created = await store.write((trx) => upsertModule(trx, input));
      return { module: moduleToProto(await getModule(store.reader, input.name)), created };
    },

    async listModules() {
      return { modules: (await listModules(store.reader)).map(moduleToProto) };
    },

    async removeModule(req) {
      const name = requireId(req.name, "name");
      await store.write((trx) => deleteModule(trx, name));
      return {};
    },

    async askModule(req) {
      const from = requireId(req.fromModule, "from_module");
      const module = await getModule(store.reader, requireId(req.toModule, "to_module"));
      if (!req.question.trim()) throw new InvalidInputError("question is required");
      if (Buffer.byteLength(req.question) > MAX_QUESTION_BYTES) {
        throw new InvalidInputError(`question is over ${MAX_QUESTION_BYTES / 1024 / 1024} MiB; put long material in a file and refer to it`);
      }
      const ids = await ctx.asks.start({
        from,
        module,
        question: req.question,
        threadId: optionalId(req.threadId, "thread_id"),
        timeoutMs: optionalDurationMs(req.timeout, "timeout", ctx.maxTimeoutMs) ?? ctx.defaultAskTimeoutMs,
        metadata: metadataFromProto(req.metadata),
        newSession: req.newSession,
      });
      return { threadId: ids.threadId, questionMessageId: ids.questionId, responseMessageId: ids.responseId };
    },
  };
}

function checkModule(module: Module | undefined): Omit<ModuleRecord, "updatedAt"> {
  if (!module) throw new InvalidInputError("module is required");
  const name = requireId(module.name, "module.name");
  if (!module.directory || !path.isAbsolute(module.directory)) {
    throw new InvalidInputError("module.directory must be an absolute path (the directory the agent runs in)");
  }
  for (const part of module.agentCommand) if (!part) throw new InvalidInputError("module.agent_command has an empty argument");
  return { name, directory: module.directory, systemPrompt: module.systemPrompt, agentCommand: module.agentCommand, agentSettings: settingsOf(module) };
}

/** The module's agent settings, only those set. */
function settingsOf(module: Module): AgentSettings {
  for (const [key, value] of Object.entries(module.env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new InvalidInputError(`module.env has an invalid variable name ${JSON.stringify(key)}`);
    if (value.includes("\0")) throw new InvalidInputError(`module.env.${key} contains a NUL byte`);
  }
  const settings: AgentSettings = {
    model: module.model || undefined,
    permissionMode: module.permissionMode || undefined,
    allowedTools: module.allowedTools.length ? module.allowedTools : undefined,
    disallowedTools: module.disallowedTools.length ? module.disallowedTools : undefined,
    maxTurns: module.maxTurns || undefined,
    appendSystemPrompt: module.appendSystemPrompt || undefined,
    env: Object.keys(module.env).length ? { ...module.env } : undefined,
  };
  return Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as AgentSettings;
}

/** A setting that widens what the agent may do on this host (so only a local caller may set it). */
function wideningSetting(settings: AgentSettings): string | undefined {
  if (settings.permissionMode) return "a permission_mode";
  if (settings.allowedTools) return "allowed_tools";
  if (settings.env) return "an env";
  return undefined;
}
