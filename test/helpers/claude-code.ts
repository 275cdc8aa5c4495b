import { spawn } from "node:child_process";
import { accessSync, constants, mkdirSync } from "node:fs";
import path from "node:path";

/**
 * The real Claude Code CLI the tests drive, from `CLAUDE_COMMS_TEST_CLAUDE` (the test
 * command installs the pinned version and sets it). Throws, never skips, when it is missing.
 */
export function claudeBinary(): string {
  const file = process.env.CLAUDE_COMMS_TEST_CLAUDE;
  const install = "run `npm test`, which installs it, or set CLAUDE_COMMS_TEST_CLAUDE to the path `bash test/setup/claude-code.sh` prints";
  if (!file) throw new Error(`CLAUDE_COMMS_TEST_CLAUDE is not set: these tests run the real Claude Code CLI (${install})`);
  try {
    accessSync(file, constants.X_OK);
  } catch {
    throw new Error(`CLAUDE_COMMS_TEST_CLAUDE=${file} is not an executable file (${install})`);
  }
  return file;
}

/** One stdout line of a run, parsed, with the time it arrived (ms since the spawn). */
export interface ClaudeLine {
  json: any;
  atMs: number;
}

/** What a finished run of the CLI left. */
export interface ClaudeRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  lines: ClaudeLine[];
  /** stdout lines that were not JSON (none expected). */
  otherLines: string[];
  stderr: string;
  durationMs: number;
}

/** Options of {@link runClaude}. */
export interface RunClaudeOptions {
  /** Base URL of the Messages API stand-in. */
  apiUrl: string;
  /** HOME for the CLI (it writes `~/.claude` there: sessions, settings). */
  home: string;
  /** Working directory (the session is stored under a name derived from it). */
  cwd: string;
  /** Arguments after the binary, e.g. `["-p", "hi", "--output-format", "stream-json", …]`. */
  args: string[];
  /** Written to stdin, then stdin is closed; stdin is closed at once when absent. */
  stdin?: string;
  env?: NodeJS.ProcessEnv;
  /** Killed with SIGKILL after this long (default 60 s). */
  timeoutMs?: number;
  /** Called with each parsed line as it arrives, with the child (to signal it, close pipes). */
  onLine?: (line: ClaudeLine, child: import("node:child_process").ChildProcess) => void;
}

/** The flags that make the CLI stream everything it does as JSON lines. */
export const STREAM_FLAGS = ["--output-format", "stream-json", "--verbose", "--include-partial-messages"];

/** Environment that points the CLI at the stand-in, with an isolated HOME and no telemetry. */
export function claudeEnv(apiUrl: string, home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: home,
    ANTHROPIC_BASE_URL: apiUrl,
    ANTHROPIC_API_KEY: "sk-ant-standin",
    // The stand-in answers the model only: keep the CLI from calling out elsewhere.
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_AUTOUPDATER: "1",
    ...extra,
  };
}

/** Runs the real CLI to its end and returns every line it printed, timed. */
export function runClaude(options: RunClaudeOptions): Promise<ClaudeRun> {
  mkdirSync(options.home, { recursive: true });
  mkdirSync(options.cwd, { recursive: true });
  const started = performance.now();
  const child = spawn(claudeBinary(), options.args, {
    cwd: options.cwd,
    env: claudeEnv(options.apiUrl, options.home, options.env),
    stdio: ["pipe", "pipe", "pipe"],
  });
  const run: ClaudeRun = { code: null, signal: null, lines: [], otherLines: [], stderr: "", durationMs: 0 };
  let pending = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (text: string) => {
    pending += text;
    let newline: number;
    while ((newline = pending.indexOf("\n")) >= 0) {
      const raw = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (raw.trim() === "") continue;
      try {
        const line = { json: JSON.parse(raw), atMs: performance.now() - started };
        run.lines.push(line);
        options.onLine?.(line, child);
      } catch {
        run.otherLines.push(raw);
      }
    }
  });
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (text: string) => (run.stderr += text));
  child.stdin.on("error", () => {});
  child.stdin.end(options.stdin);
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
  return new Promise((resolve) => {
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      Object.assign(run, { code, signal, durationMs: performance.now() - started });
      if (pending.trim() !== "") run.otherLines.push(pending);
      resolve(run);
    });
  });
}

/** Lines of one `type` (and `subtype`, when given). */
export function linesOf(run: ClaudeRun, type: string, subtype?: string): any[] {
  return run.lines.map((l) => l.json).filter((j) => j.type === type && (subtype === undefined || j.subtype === subtype));
}

/** The raw API events of the `stream_event` lines, in order. */
export function streamEvents(run: ClaudeRun): any[] {
  return linesOf(run, "stream_event").map((j) => j.event);
}

/** The directory where the CLI keeps the sessions of `cwd` under `home`. */
export function sessionDir(home: string, cwd: string): string {
  return path.join(home, ".claude", "projects", cwd.replace(/[^a-zA-Z0-9]/g, "-"));
}
