import type { AgentSettings } from "../common/agent-settings.js";

export type { AgentSettings };

/** What one run passes to the agent beyond its question. */
export interface AgentArgsInput {
  systemPrompt?: string;
  settings?: AgentSettings;
  /** Resume this Claude Code session (`--resume`), so the agent has its earlier turns. */
  resumeSessionId?: string;
}

/**
 * The argument vector after the command prefix. The question is not among them: it goes
 * to the agent's standard input (`-p` with no argument reads it there), so a question
 * that starts with "-" can never be taken for an option.
 */
export function agentArgs(input: AgentArgsInput = {}): string[] {
  const args = ["-p", "--output-format", "stream-json", "--verbose", "--include-partial-messages"];
  const s = input.settings ?? {};
  if (input.resumeSessionId) args.push("--resume", input.resumeSessionId);
  if (input.systemPrompt !== undefined) args.push("--system-prompt", input.systemPrompt);
  if (s.appendSystemPrompt) args.push("--append-system-prompt", s.appendSystemPrompt);
  if (s.model) args.push("--model", s.model);
  if (s.permissionMode) args.push("--permission-mode", s.permissionMode);
  if (s.maxTurns !== undefined) args.push("--max-turns", String(s.maxTurns));
  if (s.allowedTools?.length) args.push("--allowedTools", ...s.allowedTools);
  if (s.disallowedTools?.length) args.push("--disallowedTools", ...s.disallowedTools);
  return args;
}
