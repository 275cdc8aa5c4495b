import { stat } from "node:fs/promises";

/** How an agent run ended. */
export type AgentStatus = "complete" | "failed" | "timed_out" | "cancelled";

/**
 * What is known about a run, in the snake_case the daemon stores as message metadata.
 * Keys are present only when known.
 */
export interface AgentMetadata {
  session_id?: string;
  total_cost_usd?: number;
  duration_ms?: number;
  num_turns?: number;
  exit_code?: number;
  signal?: string;
}

/** The result of {@link runAgent}. It never rejects: every failure is an outcome. */
export interface AgentOutcome {
  status: AgentStatus;
  /** Empty when complete; otherwise a message for the user (lowercase, actionable). */
  error: string;
  metadata: AgentMetadata;
  /** All text onText accepted, in order. */
  text: string;
  /** The agent's pid (its process group id), when it started. */
  pid?: number;
}

/**
 * Keeps the last `maxBytes` bytes of a stream (the agent's stderr): the end of a crash
 * report is the useful part, and a chatty agent must not grow memory.
 */
export class TailBuffer {
  private tail = Buffer.alloc(0);
  private truncated = false;

  /** Creates an empty tail of at most `maxBytes` bytes. */
  constructor(private readonly maxBytes: number) {}

  /** Appends a chunk, dropping the oldest bytes beyond the limit. */
  push(chunk: Buffer): void {
    const joined = Buffer.concat([this.tail, chunk]);
    this.truncated ||= joined.length > this.maxBytes;
    this.tail = joined.length > this.maxBytes ? Buffer.from(joined.subarray(joined.length - this.maxBytes)) : joined;
  }

  /** The tail as trimmed text, "…" first when older output was dropped. */
  text(): string {
    let start = 0;
    // A cut may land inside a UTF-8 sequence: skip its continuation bytes (10xxxxxx).
    while (this.truncated && start < this.tail.length && (this.tail[start]! & 0xc0) === 0x80) start++;
    const text = this.tail.subarray(start).toString("utf8").trim();
    return this.truncated && text !== "" ? `…${text}` : text;
  }
}

/** `agent exited with code 3: <stderr tail>`, or `agent was killed by SIGKILL: …`. */
export function exitErrorMessage(code: number | null, signal: string | null, stderrTail: string): string {
  const how = code !== null ? `exited with code ${code}` : `was killed by ${signal ?? "an unknown signal"}`;
  return stderrTail === "" ? `agent ${how}` : `agent ${how}: ${stderrTail}`;
}

/**
 * Turns a spawn failure into a message that says what to do. ENOENT also means a missing
 * working directory, so that is checked before blaming the command.
 */
export async function spawnErrorMessage(error: unknown, command: string, cwd: string): Promise<string> {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT" && !(await isDirectory(cwd))) {
    return `agent working directory ${JSON.stringify(cwd)} does not exist or is not a directory`;
  }
  if (code === "ENOENT") {
    return `agent command ${JSON.stringify(command)} not found: install Claude Code, or set the daemon's `
      + `--agent-command (CLAUDE_COMMS_AGENT_COMMAND) or the module's agent command`;
  }
  if (code === "EACCES") return `agent command ${JSON.stringify(command)} is not executable (permission denied)`;
  if (code === "E2BIG") {
    return "question or system prompt too long to pass as a command-line argument (Linux allows 128 KiB per argument)";
  }
  const detail = error instanceof Error ? error.message : String(error);
  return `could not start agent command ${JSON.stringify(command)}: ${detail}`;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** The message for an abort: the signal's reason when it is a string, else "cancelled". */
export function abortMessage(signal: AbortSignal | undefined): string {
  const reason: unknown = signal?.reason;
  return typeof reason === "string" && reason !== "" ? reason : "cancelled";
}

/** Removes keys whose value is undefined, so stored metadata JSON holds only known facts. */
export function compactMetadata(metadata: AgentMetadata): AgentMetadata {
  return Object.fromEntries(Object.entries(metadata).filter(([, value]) => value !== undefined)) as AgentMetadata;
}
