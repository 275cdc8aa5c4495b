import { parseArgs } from "node:util";
import { parseDurationMs } from "../shared/duration.js";
import { isLoopback } from "../shared/loopback.js";
import { homePaths, resolveHome, type HomePaths } from "../shared/paths.js";
import { SETTINGS, type Setting } from "../shared/settings.js";
import { resolveToken } from "../shared/token.js";
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from "./logger.js";

/** Shortest bearer token the daemon accepts. */
export const MIN_TOKEN_LENGTH = 16;

/** Everything the daemon can be told. Each setting is a flag and a CLAUDE_COMMS_* variable. */
export interface DaemonConfig {
  paths: HomePaths;
  /** The store: `sqlite:PATH` (default: comms.db in the home) or `postgres://…`. */
  store: string;
  /** Poller interval, ms (default 1000). */
  intervalMs: number;
  /** How long finished messages stay monitored, ms (default 1 h). */
  retentionMs: number;
  /** How long events stay in the log, ms (default 7 days). */
  historyRetentionMs: number;
  /** A connection with no call in flight is closed after this long, ms (default 5 min). */
  idleConnectionMs: number;
  /** Watch heartbeat interval, ms (default 15 s). */
  heartbeatMs: number;
  /** Extra TCP listener, HOST:PORT; a non-loopback host requires `token`. */
  listen?: ListenAddress;
  /** Web dashboard and /metrics listener (HTTP/1.1), `[HOST:]PORT`; always behind the token. */
  dashboard?: ListenAddress;
  /** Bearer token every TCP request must carry (the Unix socket needs none). Never logged. */
  token?: string;
  /** Certificate and key files: the TCP listener speaks TLS (h2 over ALPN) when set. */
  tls?: { certFile: string; keyFile: string };
  /** Log file path, or "-" for stderr. */
  logFile: string;
  logLevel: LogLevel;
  /** One JSON object per line (default), or human-readable text. */
  logFormat: LogFormat;
  /** Rotate the log file at this size, bytes (default 10 MiB), keeping `logFiles` old ones (default 3). */
  logMaxBytes: number;
  logFiles: number;
  synchronous: "NORMAL" | "FULL";
  /** How long a write waits for another writer's lock, ms (default 5 s). */
  busyTimeoutMs: number;
  /** Concurrent watch streams allowed (default 20,000). */
  maxWatchers: number;
  /** Events a watcher may have queued before it is cut off (default 10,000). */
  watchQueue: number;
  /** Largest request accepted, bytes (default 4 MiB). */
  maxRequestBytes: number;
  /** Largest content of a message, bytes (default 4 MiB): appends past it are refused. */
  maxContentBytes: number;
  /** Longest timeout a request may carry, ms (default 7 days). */
  maxTimeoutMs: number;
  /** Agent command (argv) for modules without their own; default ["claude"]. */
  agentCommand: string[];
  /** Timeout of an ask that names none, ms (default 10 min). */
  askTimeoutMs: number;
  /** Agents running at once (default 4). */
  maxAgents: number;
  /** How long a daemon's agent runs outlive it before another daemon fails them, ms (default 15 s). */
  leaseMs: number;
}

/** A TCP address to listen on. */
export interface ListenAddress {
  host: string;
  port: number;
  /** The host is loopback (127.0.0.0/8, localhost, ::1). */
  loopback: boolean;
}

type SettingName = keyof typeof SETTINGS;

export { SETTINGS };

/** Parses daemon flags (falling back to the environment, then defaults). Throws on bad values. */
export function parseDaemonConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): DaemonConfig {
  const values = parseFlags(argv);
  const get = (name: SettingName): string | undefined => values[name] ?? (env[SETTINGS[name].env] || undefined);
  const paths = homePaths(resolveHome(get("home")));
  const number = (name: SettingName, fallback: number) => positiveInt(get(name), name, fallback);
  const listen = parseListen(get("listen"));
  const token = daemonToken(values["token-file"], env);
  checkExposure(listen, token);
  return {
    paths,
    store: parseStore(get("store"), paths.database),
    intervalMs: duration(get("interval"), "interval", 1000, 1),
    retentionMs: duration(get("retention"), "retention", 3_600_000, 0),
    historyRetentionMs: duration(get("history-retention"), "history-retention", 7 * 86_400_000, 1),
    heartbeatMs: duration(get("heartbeat"), "heartbeat", 15_000, 10),
    listen,
    dashboard: parseDashboard(get("dashboard")),
    token,
    tls: tlsFiles(get("tls-cert"), get("tls-key")),
    logFile: get("log-file") ?? paths.log,
    logLevel: oneOf(get("log-level") ?? "info", "log-level", LOG_LEVELS),
    logFormat: oneOf(get("log-format") ?? "json", "log-format", LOG_FORMATS),
    logMaxBytes: number("log-max-bytes", 10 * 1024 * 1024),
    logFiles: wholeNumber(get("log-files"), "log-files", 3),
    synchronous: oneOf((get("synchronous") ?? "normal").toUpperCase(), "synchronous", ["NORMAL", "FULL"] as const),
    busyTimeoutMs: duration(get("busy-timeout"), "busy-timeout", 5000, 0),
    maxWatchers: number("max-watchers", 20_000),
    watchQueue: number("watch-queue", 10_000),
    maxRequestBytes: number("max-request-bytes", 4 * 1024 * 1024),
    maxContentBytes: number("max-content-bytes", 4 * 1024 * 1024),
    idleConnectionMs: duration(get("idle-connection"), "idle-connection", 300_000, 100),
    maxTimeoutMs: duration(get("max-timeout"), "max-timeout", 7 * 86_400_000, 1),
    agentCommand: (get("agent-command") ?? "claude").split(/\s+/).filter(Boolean),
    askTimeoutMs: duration(get("ask-timeout"), "ask-timeout", 600_000, 1),
    maxAgents: number("max-agents", 4),
    leaseMs: duration(get("lease"), "lease", 15_000, 1000),
  };
}

// Flags of every setting that has one; `--token` is refused with a pointer to the safe ways.
function parseFlags(argv: string[]): Partial<Record<SettingName, string>> {
  const names = (Object.keys(SETTINGS) as SettingName[]).filter((name) => (SETTINGS[name] as Setting).flag !== false);
  const options = Object.fromEntries(names.map((name) => [name, { type: "string" as const }]));
  if (argv.some((arg) => arg === "--token" || arg.startsWith("--token="))) {
    throw new Error("the daemon takes no --token flag (it would show in ps): use --token-file FILE or set CLAUDE_COMMS_TOKEN");
  }
  return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as Partial<Record<SettingName, string>>;
}

function daemonToken(flagFile: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  const token = resolveToken({ flagFile, envToken: env.CLAUDE_COMMS_TOKEN || undefined, envFile: env.CLAUDE_COMMS_TOKEN_FILE || undefined });
  if (token !== undefined && token.length < MIN_TOKEN_LENGTH) {
    throw new Error(`the bearer token has ${token.length} characters; use at least ${MIN_TOKEN_LENGTH} (for example: openssl rand -hex 32)`);
  }
  return token;
}

// Reachable from other machines only with a token: refuse to start rather than serve anyone.
function checkExposure(listen: ListenAddress | undefined, token: string | undefined): void {
  if (!listen || listen.loopback || token) return;
  throw new Error(
    `--listen ${listen.host}:${listen.port} is not a loopback address, so other machines could reach the daemon: ` +
      "set a bearer token with --token-file FILE or CLAUDE_COMMS_TOKEN (for example: openssl rand -hex 32 > FILE), " +
      "or listen on 127.0.0.1",
  );
}

function tlsFiles(certFile: string | undefined, keyFile: string | undefined): DaemonConfig["tls"] {
  if (!certFile && !keyFile) return undefined;
  if (!certFile || !keyFile) throw new Error("TLS needs both --tls-cert and --tls-key (or CLAUDE_COMMS_TLS_CERT and CLAUDE_COMMS_TLS_KEY)");
  return { certFile, keyFile };
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

function wholeNumber(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number (0 or more), not "${text}"`);
  return n;
}

function oneOf<T extends string>(value: string, name: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new Error(`--${name} must be one of ${allowed.join(", ").toLowerCase()}, not "${value}"`);
  }
  return value as T;
}

/** Parses HOST:PORT (IPv6 in brackets) and says whether the host is loopback. */
export function parseListen(text: string | undefined): ListenAddress | undefined {
  if (!text) return undefined;
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw new Error(`--listen must be HOST:PORT (for example 127.0.0.1:7777), not "${text}"`);
  const host = match[1] ?? match[2] ?? "";
  return { host, port, loopback: isLoopback(host) };
}

/** Parses the dashboard's `[HOST:]PORT`: a bare port listens on 127.0.0.1. */
export function parseDashboard(text: string | undefined): ListenAddress | undefined {
  if (!text) return undefined;
  const withHost = /^\d+$/.test(text) ? `127.0.0.1:${text}` : text;
  try {
    return parseListen(withHost);
  } catch {
    throw new Error(`--dashboard must be PORT or HOST:PORT (for example 8080 or 127.0.0.1:8080), not "${text}"`);
  }
}

/** Validates the store URL; the default is the SQLite file in the home. */
export function parseStore(text: string | undefined, defaultFile: string): string {
  if (!text) return `sqlite:${defaultFile}`;
  if (/^postgres(ql)?:\/\/./.test(text) || /^sqlite:./.test(text)) return text;
  throw new Error(`--store must be sqlite:PATH or postgres://USER@HOST:PORT/DATABASE, not "${text.replace(/:[^:@/]*@/, ":***@")}"`);
}
