/**
 * A module's settings for its agent, passed to Claude Code as flags. Every field is
 * optional: absent means Claude Code's own default. (Shared: the store keeps them, the
 * agent runner turns them into flags.)
 */
export interface AgentSettings {
  /** `--model` (an alias such as "sonnet", or a full model name). */
  model?: string;
  /** `--permission-mode`: "default", "acceptEdits", "plan", "bypassPermissions", … */
  permissionMode?: string;
  /** `--allowedTools`: tools (or patterns such as "Bash(git:*)") allowed without asking. */
  allowedTools?: string[];
  /** `--disallowedTools`: tools the agent may not use. */
  disallowedTools?: string[];
  /** `--max-turns`: the most agent turns before it stops. */
  maxTurns?: number;
  /** `--append-system-prompt`: added to Claude Code's own system prompt. */
  appendSystemPrompt?: string;
  /** Extra environment variables for the agent (say ANTHROPIC_BASE_URL or a key). */
  env?: Record<string, string>;
}

