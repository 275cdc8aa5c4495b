import { parseArgs } from "node:util";
import { parseDurationMs } from "../shared/duration.js";
import { homePaths, resolveHome, type HomePaths } from "../shared/paths.js";
import { LOG_LEVELS, type LogLevel } from "./logger.js";

/** Everything the daemon can be told. Each setting is a flag and a CLAUDE_COMMS_* variable. */
export interface DaemonConfig {
  paths: HomePaths;
  /** Poller interval, ms (default 1000). */
  intervalMs: number;
  /** How long finished messages stay monitored, ms (default 1 h). */
  retentionMs: number;
  /** How long events stay in the log, ms (default 7 days). */
  historyRetentionMs: number;
  /** Watch heartbeat interval, ms (default 15 s). */
  heartbeatMs: number;
  /** Extra TCP listener, HOST:PORT (loopback only). */
  listen?: { host: string; port: number };
  /** Log file path, or "-" for stderr. */
  logFile: string;
  logLevel: LogLevel;
  synchronous: "NORMAL" | "FULL";
  /** How long a write waits for another writer's lock, ms (default 5 s). */
  busyTimeoutMs: number;
  /** Concurrent watch streams allowed (default 20,000). */
  maxWatchers: number;
  /** Events a watcher may have queued before it is cut off (default 10,000). */
  watchQueue: number;
  /** Largest request accepted, bytes (default 4 MiB). */
  maxRequestBytes: number;
  /** Longest timeout a request may carry, ms (default 7 days). */
  maxTimeoutMs: number;
  /** Agent command (argv) for modules without their own; default ["claude"]. */
  agentCommand: string[];
  /** Timeout of an ask that names none, ms (default 10 min). */
  askTimeoutMs: number;
  /** Agents running at once (default 4). */
  maxAgents: number;
}

/** The settings, their flags, variables and defaults (the README's configuration table). */
export const SETTINGS = {
  home: { env: "CLAUDE_COMMS_HOME", default: "~/.claude-comms", help: "state directory (socket, database, log)" },
  interval: { env: "CLAUDE_COMMS_INTERVAL", default: "1", help: "poller interval in seconds (fractions allowed)" },
  retention: { env: "CLAUDE_COMMS_RETENTION", default: "1h", help: "how long finished messages stay monitored" },
  "history-retention": { env: "CLAUDE_COMMS_HISTORY_RETENTION", default: "7d", help: "how long events stay in the log" },
  heartbeat: { env: "CLAUDE_COMMS_HEARTBEAT", default: "15s", help: "heartbeat interval of idle watch streams" },
  listen: { env: "CLAUDE_COMMS_LISTEN", default: "", help: "also listen on TCP HOST:PORT (loopback only)" },
  "log-file": { env: "CLAUDE_COMMS_LOG_FILE", default: "$HOME/daemon.log", help: "JSON-lines log file, - for stderr" },
  "log-level": { env: "CLAUDE_COMMS_LOG_LEVEL", default: "info", help: "debug, info, warn or error" },
  synchronous: { env: "CLAUDE_COMMS_SYNCHRONOUS", default: "normal", help: "SQLite synchronous: normal or full" },
  "busy-timeout": { env: "CLAUDE_COMMS_BUSY_TIMEOUT", default: "5s", help: "wait for another writer's lock" },
  "max-watchers": { env: "CLAUDE_COMMS_MAX_WATCHERS", default: "20000", help: "concurrent watch streams" },
  "watch-queue": { env: "CLAUDE_COMMS_WATCH_QUEUE", default: "10000", help: "events queued per watcher" },
  "max-request-bytes": { env: "CLAUDE_COMMS_MAX_REQUEST_BYTES", default: "4194304", help: "largest request" },
  "max-timeout": { env: "CLAUDE_COMMS_MAX_TIMEOUT", default: "7d", help: "longest timeout a request may ask for" },
  "agent-command": { env: "CLAUDE_COMMS_AGENT_COMMAND", default: "claude", help: "agent CLI run by ask" },
  "ask-timeout": { env: "CLAUDE_COMMS_ASK_TIMEOUT", default: "10m", help: "timeout of an ask that names none" },
  "max-agents": { env: "CLAUDE_COMMS_MAX_AGENTS", default: "4", help: "agents running at once" },
} as const;

type SettingName = keyof typeof SETTINGS;

/** Parses daemon flags (falling back to the environment, then defaults). Throws on bad values. */
export function parseDaemonConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): DaemonConfig {
  const options = Object.fromEntries(Object.keys(SETTINGS).map((name) => [name, { type: "string" as const }]));
  const { values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  const get = (name: SettingName): string | undefined =>
    (values[name] as string | undefined) ?? (env[SETTINGS[name].env] || undefined);
  const paths = homePaths(resolveHome(get("home")));
  const number = (name: SettingName, fallback: number) => positiveInt(get(name), name, fallback);
  return {
    paths,
    intervalMs: duration(get("interval"), "interval", 1000, 1),
    retentionMs: duration(get("retention"), "retention", 3_600_000, 0),
    historyRetentionMs: duration(get("history-retention"), "history-retention", 7 * 86_400_000, 1),
    heartbeatMs: duration(get("heartbeat"), "heartbeat", 15_000, 10),
    listen: parseListen(get("listen")),
    logFile: get("log-file") ?? paths.log,
    logLevel: oneOf(get("log-level") ?? "info", "log-level", LOG_LEVELS),
    synchronous: oneOf((get("synchronous") ?? "normal").toUpperCase(), "synchronous", ["NORMAL", "FULL"] as const),
    busyTimeoutMs: duration(get("busy-timeout"), "busy-timeout", 5000, 0),
    maxWatchers: number("max-watchers", 20_000),
    watchQueue: number("watch-queue", 10_000),
    maxRequestBytes: number("max-request-bytes", 4 * 1024 * 1024),
    maxTimeoutMs: duration(get("max-timeout"), "max-timeout", 7 * 86_400_000, 1),
    agentCommand: (get("agent-command") ?? "claude").split(/\s+/).filter(Boolean),
    askTimeoutMs: duration(get("ask-timeout"), "ask-timeout", 600_000, 1),
    maxAgents: number("max-agents", 4),
  };
}

function duration(text: string | undefined, name: string, fallback: number, minMs: number): number {
  if (text === undefined) return fallback;
  const ms = parseDurationMs(text, `--${name}`);
  if (ms < minMs) throw new Error(`--${name} must be at least ${minMs} ms`);
  return ms;
}

function positiveInt(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive whole number, not "${text}"`);
  return n;
}

function oneOf<T extends string>(value: string, name: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new Error(`--${name} must be one of ${allowed.join(", ").toLowerCase()}, not "${value}"`);
  }
  return value as T;
}

/** Parses HOST:PORT (IPv6 in brackets). Only loopback hosts are accepted for now. */
export function parseListen(text: string | undefined): { host: string; port: number } | undefined {
  if (!text) return undefined;
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw new Error(`--listen must be HOST:PORT (for example 127.0.0.1:7777), not "${text}"`);
  const host = match[1] ?? match[2] ?? "";
  if (!["127.0.0.1", "localhost", "::1"].includes(host) && !host.startsWith("127.")) {
    throw new Error(`--listen ${text} is not a loopback address: only 127.0.0.0/8, localhost and ::1 are allowed`);
  }
  return { host, port };
}
