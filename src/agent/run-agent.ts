import { spawn, type ChildProcess } from "node:child_process";
import { formatDurationMs } from "../common/duration.js";
import {
  abortMessage, compactMetadata, exitErrorMessage, spawnErrorMessage, TailBuffer,
  type AgentOutcome, type AgentStatus,
} from "./outcome.js";
import { agentArgs, type AgentSettings } from "./agent-settings.js";
import { fatalApiMessage, type AgentStep } from "./agent-steps.js";
import { signalGroup, startDeadline } from "./process-group.js";
import { StreamJsonParser, type AgentResult, type StreamEvent } from "./stream-json.js";
import { TextSink } from "./text-sink.js";
import { startWatchdog, type Watchdog } from "./watchdog.js";

/** The agent command when none is configured: Claude Code on the PATH. */
export const DEFAULT_AGENT_COMMAND: readonly string[] = ["claude"];

/** Options of {@link runAgent}. */
export interface RunAgentOptions {
  /** Argument vector prefix (program and leading arguments); default `["claude"]`. */
  command?: readonly string[];
  /** The question, written to the agent's standard input (never an argument). */
  question: string;
  /** Passed as `--system-prompt` when given. */
  systemPrompt?: string;
  /** The module's agent settings (model, permission mode, tools, turns, env). */
  settings?: AgentSettings;
  /** A Claude Code session to resume (`--resume`). */
  resumeSessionId?: string;
  /** Working directory of the agent: the target module's directory. */
  cwd: string;
  /** The agent's environment; default the daemon's. `CLAUDECODE` is always removed. */
  env?: NodeJS.ProcessEnv;
  /** Aborting it cancels the run: the process group is killed, the outcome is cancelled. */
  signal?: AbortSignal;
  /** Deadline in ms on the monotonic clock; undefined, 0 or Infinity mean none. */
  timeoutMs?: number;
  /** Time between SIGTERM and SIGKILL to the process group (ms); default 5000. */
  graceMs?: number;
  /** Longest wait before streamed text is handed to onText (ms); default 50. */
  flushIntervalMs?: number;
  /** Hand text over at once when this many bytes wait; default 4 KiB. */
  flushBytes?: number;
  /** Bytes of stderr kept (the tail) for error messages; default 4 KiB. */
  maxStderrBytes?: number;
  /** Called once the process exists; awaited before the first onText. Throwing fails the run. */
  onStart?: (pid: number) => void | Promise<void>;
  /**
   * Receives the answer text, coalesced. Calls are strictly sequential, and the last one
   * has settled before runAgent resolves (so it must settle). A rejection kills the agent
   * and fails the run.
   */
  onText: (text: string) => Promise<void>;
  /** Receives each step the agent takes, in order with onText. A rejection fails the run. */
  onStep?: (step: AgentStep) => Promise<void>;
  /**
   * Cuts the text delivered so far back to `kept` (the agent abandoned a streamed message:
   * its connection was cut and it asks again). In order with onText.
   */
  onTruncate?: (kept: string) => Promise<void>;
}

/**
 * The agent's environment. `CLAUDECODE` is dropped: Claude Code ≥ 2.1.39 refuses to start
 * when it is set ("cannot be launched inside another Claude Code session"), and a daemon
 * started from a Claude Code session inherits it, though its agents are separate sessions.
 */
export function agentEnv(env: NodeJS.ProcessEnv = process.env, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const copy = { ...env, ...extra };
  delete copy["CLAUDECODE"];
  return copy;
}

/**
 * Runs the agent CLI in `cwd` with the question and streams its answer to onText.
 * The process gets its own process group; the deadline and the abort signal kill the
 * whole group (SIGTERM, then SIGKILL after the grace). Resolves with the outcome once the
 * process and its output are done and the last text was delivered; never rejects.
 */
export async function runAgent(options: RunAgentOptions): Promise<AgentOutcome> {
  const command = options.command ?? DEFAULT_AGENT_COMMAND;
  const program = command[0];
  if (program === undefined || program === "") return failed("agent command is empty");
  if (options.signal?.aborted) return { status: "cancelled", error: abortMessage(options.signal), metadata: {}, text: "" };
  let child: ChildProcess;
  try {
    child = spawn(program, [...command.slice(1), ...agentArgs(options)], {
      cwd: options.cwd,
      env: agentEnv(options.env, options.settings?.env),
      detached: true,
      stdio: ["pipe", "pipe", "pipe"],
    });
  } catch (error) {
    // Invalid arguments (a NUL byte) and E2BIG are thrown synchronously.
    return failed(await spawnErrorMessage(error, program, options.cwd));
  }
  return new AgentRun(child, program, options).outcome;
}

function failed(error: string): AgentOutcome {
  return { status: "failed", error, metadata: {}, text: "" };
}

/** Why the run was stopped before the agent finished on its own. */
interface StopReason {
  status: Exclude<AgentStatus, "complete">;
  error: string;
}

/** The state of one running agent process, from spawn to outcome. */
class AgentRun {
  readonly outcome: Promise<AgentOutcome>;
  private readonly parser = new StreamJsonParser();
  private readonly stderr: TailBuffer;
  private readonly sink: TextSink;
  private readonly graceMs: number;
  private readonly cleanups: Array<() => void> = [];
  private readonly watchdog: Watchdog | undefined;
  private resolve!: (outcome: AgentOutcome) => void;
  private result: AgentResult | undefined;
  private sessionId: string | undefined;
  private stopReason: StopReason | undefined;
  private spawnError: unknown;
  private exited = false;
  private settling = false;

  constructor(private readonly child: ChildProcess, private readonly program: string, private readonly options: RunAgentOptions) {
    this.outcome = new Promise((resolve) => (this.resolve = resolve));
    this.graceMs = options.graceMs ?? 5000;
    this.stderr = new TailBuffer(options.maxStderrBytes ?? 4096);
    const pid = child.pid;
    this.watchdog = pid === undefined ? undefined : startWatchdog(pid);
    this.sink = new TextSink({
      deliver: options.onText,
      truncate: options.onTruncate,
      intervalMs: options.flushIntervalMs ?? 50,
      maxBytes: options.flushBytes ?? 4 * 1024,
      ready: pid === undefined ? undefined : callOnStart(options, pid),
      onError: (error) => this.stop("failed", deliveryErrorMessage(error)),
    });
    this.listen();
    this.writeQuestion();
    if (pid !== undefined) this.armStops();
  }

  /** The question on stdin, then EOF; an agent that does not read it must not fail the run. */
  private writeQuestion(): void {
    const stdin = this.child.stdin;
    if (!stdin) return;
    stdin.on("error", () => undefined);
    stdin.end(this.options.question);
  }

  private listen(): void {
    this.child.stdout?.on("data", (chunk: Buffer) => this.handle(this.parser.push(chunk)));
    this.child.stderr?.on("data", (chunk: Buffer) => this.stderr.push(chunk));
    this.child.on("error", (error) => {
      this.spawnError ??= error;
      // Without a pid the process never started and 'close' is not guaranteed.
      if (this.child.pid === undefined) void this.finish(null, null);
    });
    this.child.on("exit", () => this.onExit());
    this.child.on("close", (code, signal) => void this.finish(code, signal));
  }

  private armStops(): void {
    const { timeoutMs, signal } = this.options;
    if (timeoutMs !== undefined && timeoutMs > 0 && Number.isFinite(timeoutMs)) {
      const cancel = startDeadline(timeoutMs, () =>
        this.stop("timed_out", `agent did not finish within ${formatDurationMs(timeoutMs)}`));
      this.cleanups.push(cancel);
    }
    if (signal) {
      const onAbort = (): void => this.stop("cancelled", abortMessage(signal));
      signal.addEventListener("abort", onAbort, { once: true });
      this.cleanups.push(() => signal.removeEventListener("abort", onAbort));
    }
  }

  private handle(events: StreamEvent[]): void {
    for (const event of events) {
      if (event.kind === "text") this.sink.push(event.text);
      else if (event.kind === "retract") this.sink.retract(event.text);
      else if (event.kind === "init") this.sessionId ??= event.sessionId;
      else if (event.kind === "step") this.step(event.step);
      else if (event.kind === "fatal") this.stop("failed", fatalApiMessage(event.error));
      else this.result = event.result;
    }
  }

  private step(step: AgentStep): void {
    const onStep = this.options.onStep;
    if (onStep) this.sink.then(() => onStep(step));
  }

  /**
   * First reason wins. Once the leader exited on its own, a deadline or cancel arriving
   * before 'close' does not change the outcome: the agent did finish.
   */
  private stop(status: StopReason["status"], error: string): void {
    if (this.stopReason || this.settling || (this.exited && status !== "failed")) return;
    this.stopReason = { status, error };
    if (!this.exited) this.killGroup();
  }

  /** SIGTERM to the group now, SIGKILL after the grace: also reaches a stubborn grandchild. */
  private killGroup(): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    signalGroup(pid, "SIGTERM");
    const timer = setTimeout(() => signalGroup(pid, "SIGKILL"), this.graceMs);
    this.cleanups.push(() => clearTimeout(timer));
  }

  /**
   * The leader exited. 'close' waits for every holder of its stdout; if a leftover child
   * keeps it open past the grace, kill the group and stop reading so the run can end.
   */
  private onExit(): void {
    this.exited = true;
    if (this.settling) return;
    const timer = setTimeout(() => {
      if (this.child.pid !== undefined) signalGroup(this.child.pid, "SIGKILL");
      this.child.stdout?.destroy();
      this.child.stderr?.destroy();
    }, this.graceMs);
    this.cleanups.push(() => clearTimeout(timer));
  }

  private async finish(code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    if (this.settling) return;
    this.settling = true;
    for (const cleanup of this.cleanups) cleanup();
    this.watchdog?.release();
    // A stopped run may leave members that closed their stdio: make sure none survive.
    if (this.stopReason && this.child.pid !== undefined) signalGroup(this.child.pid, "SIGKILL");
    this.handle(this.parser.end());
    await this.sink.drain();
    this.resolve(await this.buildOutcome(code, signal));
  }

  private async buildOutcome(code: number | null, signal: NodeJS.Signals | null): Promise<AgentOutcome> {
    const base = { metadata: this.metadata(code, signal), text: this.sink.delivered, pid: this.child.pid };
    if (this.spawnError !== undefined && this.child.pid === undefined) {
      return { ...base, status: "failed", error: await spawnErrorMessage(this.spawnError, this.program, this.options.cwd) };
    }
    const sinkError = this.sink.error;
    if (sinkError && !this.stopReason) return { ...base, status: "failed", error: deliveryErrorMessage(sinkError.error) };
    if (this.stopReason) return { ...base, ...this.stopReason };
    if (this.result?.isError) {
      const detail = this.result.text || `agent reported an error (${this.result.subtype ?? "no detail"})`;
      return { ...base, status: "failed", error: detail };
    }
    if (code !== 0) return { ...base, status: "failed", error: exitErrorMessage(code, signal, this.stderr.text()) };
    return { ...base, status: "complete", error: "" };
  }

  private metadata(code: number | null, signal: NodeJS.Signals | null): AgentOutcome["metadata"] {
    const result = this.result;
    return compactMetadata({
      session_id: result?.sessionId ?? this.sessionId,
      total_cost_usd: result?.totalCostUsd,
      duration_ms: result?.durationMs,
      num_turns: result?.numTurns,
      exit_code: code ?? undefined,
      signal: signal ?? undefined,
    });
  }
}

/**
 * Thrown by onText (or onStep) to refuse the agent's output with a message of its own: the
 * run fails with exactly that message (no "could not deliver …" prefix).
 */
export class AgentOutputRefused extends Error {}

/** Marks a failure of the caller's onStart, so its message says so. */
class StartHookError extends Error {}

/** Calls onStart after the current tick, so even a synchronous throw becomes a rejection. */
async function callOnStart(options: RunAgentOptions, pid: number): Promise<void> {
  try {
    await Promise.resolve().then(() => options.onStart?.(pid));
  } catch (error) {
    throw new StartHookError(describe(error), { cause: error });
  }
}

function deliveryErrorMessage(error: unknown): string {
  if (error instanceof StartHookError) return `could not record the agent's start: ${error.message}`;
  if (error instanceof AgentOutputRefused) return error.message;
  return `could not deliver the agent's output: ${describe(error)}`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
