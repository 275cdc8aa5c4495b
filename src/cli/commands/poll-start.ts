import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { homePaths, resolveHome } from "../../common/paths.js";
import { parseSetting, PATH_SETTINGS, SETTINGS, type SettingName } from "../../common/settings.js";
import { tokenOf, type CommandContext } from "../context.js";
import { CliError, usageError } from "../errors.js";
import { ExitCode } from "../exit-codes.js";

// The daemon program's exit code when another daemon runs on the home.
const DAEMON_ALREADY_RUNNING = 3;
// How long a detached start waits for the daemon's ready line.
const READY_TIMEOUT_MS = 15_000;

/** The daemon settings given as options (camelCase keys, as commander makes them), and --foreground. */
type StartOptions = Record<string, string | boolean | undefined> & { foreground?: boolean };

/** The line the daemon prints on stdout once it serves. */
interface ReadyLine {
  event: "ready";
  pid: number;
  listen: string[];
  store: string;
  /** The dashboard's address, when it serves one. */
  dashboard?: string;
}

/**
 * `poll start`: runs the daemon (`dist/src/daemon/main.js`, a separate program). Detached by
 * default: returns once the daemon reports ready. With --foreground: runs it attached, logs
 * to stderr, forwards SIGINT/SIGTERM, and exits with its exit code.
 */
export async function run(ctx: CommandContext, opts: StartOptions): Promise<number> {
  const args = daemonArgs(ctx, opts);
  const env = daemonEnv(ctx);
  return opts.foreground ? runForeground(args, env, opts) : startDetached(ctx, args, env);
}

// The token (global --token, --token-file or their variables) reaches the daemon in its
// environment, never in its argv where `ps` would show it.
function daemonEnv(ctx: CommandContext): NodeJS.ProcessEnv {
  const env = { ...process.env };
  const token = tokenOf(ctx.globals);
  delete env.CLAUDE_COMMS_TOKEN_FILE;
  if (token) env.CLAUDE_COMMS_TOKEN = token;
  else delete env.CLAUDE_COMMS_TOKEN;
  return env;
}

/** The daemon program, next to the CLI in the build: `dist/src/daemon/main.js`. */
export function daemonProgram(): string {
  return fileURLToPath(new URL("../../daemon/main.js", import.meta.url));
}

function daemonArgs(ctx: CommandContext, opts: StartOptions): string[] {
  const args = [daemonProgram(), "--home", resolveHome(ctx.globals.home)];
  for (const name of Object.keys(SETTINGS) as SettingName[]) {
    const value = opts[camelCase(name)];
    if (typeof value !== "string") continue;
    args.push(`--${name}`, checked(name, value));
  }
  return args;
}

// Every value is checked with its setting's own parser, the one the daemon uses, so a bad
// value is a usage error (exit 2) before anything runs. The daemon runs from "/": relative
// paths are resolved here.
function checked(name: SettingName, value: string): string {
  try {
    parseSetting(name, value);
  } catch (error) {
    throw usageError((error as Error).message);
  }
  if (PATH_SETTINGS.has(name)) return value === "-" ? value : path.resolve(value);
  if (name === "store" && value.startsWith("sqlite:")) return `sqlite:${path.resolve(value.slice("sqlite:".length))}`;
  return value;
}

function camelCase(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

async function startDetached(ctx: CommandContext, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  // cwd "/": a long-lived daemon must not pin whatever directory it was started from.
  const child = spawn(process.execPath, args, { detached: true, stdio: ["ignore", "pipe", "pipe"], cwd: "/", env });
  const ready = await waitForReady(child, homePaths(resolveHome(ctx.globals.home)).log);
  child.unref();
  child.stdout?.destroy();
  child.stderr?.destroy();
  if (ctx.globals.json) ctx.out(JSON.stringify(ready));
  else ctx.out(`daemon started (pid ${ready.pid}), listening on ${ready.listen.join(", ")}`);
  if (ready.dashboard && !ctx.globals.json) ctx.out(`dashboard on http://${ready.dashboard}/ (open it with: claude-comms dashboard --open)`);
  return 0;
}

// Resolves with the ready line; rejects with the daemon's own error line if it exits first.
function waitForReady(child: ChildProcess, logPath: string): Promise<ReadyLine> {
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => {
      child.kill("SIGTERM");
      reject(new CliError(`daemon did not report ready within ${READY_TIMEOUT_MS / 1000}s (stopped it; see ${logPath})`));
    }, READY_TIMEOUT_MS);
    const settle = (fn: () => void) => {
      clearTimeout(timer);
      child.removeAllListeners("close");
      child.stdout?.removeAllListeners("data");
      fn();
    };
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      const ready = findReadyLine(stdout);
      if (ready) settle(() => resolve(ready));
    });
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.once("error", (error) => settle(() => reject(new CliError(`cannot run the daemon: ${error.message}`))));
    // "close", not "exit": by then the daemon's last stderr bytes have arrived.
    child.once("close", (code, signal) => settle(() => reject(earlyExitError(stderr, code, signal))));
  });
}

function findReadyLine(stdout: string): ReadyLine | undefined {
  for (const line of stdout.split("\n").slice(0, -1)) {
    try {
      const parsed = JSON.parse(line) as Partial<ReadyLine>;
      if (parsed.event === "ready") return parsed as ReadyLine;
    } catch {
      // Not JSON: the daemon prints nothing else on stdout, but be lenient.
    }
  }
  return undefined;
}

function earlyExitError(stderr: string, code: number | null, signal: NodeJS.Signals | null): CliError {
  const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
  return new CliError(lastLine(stderr) ?? `daemon ${how} before it was ready`);
}

// The daemon's last stderr line, without its own "claude-comms…:" prefix; JSON logs give their message.
function lastLine(stderr: string): string | undefined {
  const line = stderr.trim().split("\n").pop()?.trim();
  if (!line) return undefined;
  try {
    const parsed = JSON.parse(line) as { msg?: unknown; message?: unknown; error?: unknown };
    const text = parsed.error ?? parsed.msg ?? parsed.message;
    if (typeof text === "string") return text;
  } catch {
    // A plain text line.
  }
  return line.replace(/^claude-comms(?:[ -]daemon)?:\s*/, "");
}

function runForeground(args: string[], env: NodeJS.ProcessEnv, opts: StartOptions): Promise<number> {
  if (opts.logFile === undefined) args.push("--log-file", "-");
  const text = (opts.logFormat ?? env.CLAUDE_COMMS_LOG_FORMAT ?? "").toString().toLowerCase() === "text";
  const child = spawn(process.execPath, args, { stdio: ["inherit", text ? "pipe" : "inherit", "inherit"], env });
  if (text) child.stdout?.setEncoding("utf8").on("data", textReadyLine());
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  process.on("SIGINT", forward("SIGINT"));
  process.on("SIGTERM", forward("SIGTERM"));
  return new Promise((resolve, reject) => {
    child.once("error", (error) => reject(new CliError(`cannot run the daemon: ${error.message}`)));
    // The daemon's own "already running" (3) is an error like any other here (the README's table).
    child.once("exit", (code, signal) => resolve(code === DAEMON_ALREADY_RUNNING ? ExitCode.ERROR : (code ?? 128 + signalNumber(signal))));
  });
}

// With --log-format text the ready line is text too: `daemon ready (pid 12), listening on …`.
function textReadyLine(): (chunk: string) => void {
  let pending = "";
  return (chunk) => {
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      const ready = findReadyLine(`${line}\n`);
      process.stdout.write(ready ? `daemon ready (pid ${ready.pid}), listening on ${ready.listen.join(", ")}, store ${ready.store}\n` : `${line}\n`);
    }
  };
}

function signalNumber(signal: NodeJS.Signals | null): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return (signal && numbers[signal]) ?? 1;
}
