import { parseArgs } from "node:util";
import { homePaths, resolveHome, type HomePaths } from "../common/paths.js";
import { SettingError, type ListenAddress } from "../common/setting-parsers.js";
import { parseSetting, SETTINGS, type Setting, type SettingName, type SettingValue } from "../common/settings.js";
import { resolveToken } from "../common/token.js";
import type { LogFormat, LogLevel } from "./logger.js";

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

export type { ListenAddress };

export { SETTINGS };

/**
 * Parses daemon flags (falling back to the environment, then the defaults of the settings
 * table), each with its setting's parser. Throws a SettingError on a bad value.
 */
export function parseDaemonConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): DaemonConfig {
  const values = parseFlags(argv);
  const given = (name: SettingName): string | undefined => values[name] ?? (env[SETTINGS[name].env] || undefined);
  const get = <K extends SettingName>(name: K): SettingValue<K> => {
    const text = given(name) ?? SETTINGS[name].default;
    return parseSetting(name, text);
  };
  const optional = <K extends SettingName>(name: K): SettingValue<K> | undefined =>
    given(name) === undefined ? undefined : parseSetting(name, given(name)!);
  const paths = homePaths(resolveHome(optional("home")));
  const listen = optional("listen");
  const token = daemonToken(values["token-file"], env);
  checkExposure(listen, token);
  return {
    paths,
    store: optional("store") ?? `sqlite:${paths.database}`,
    intervalMs: get("interval"),
    retentionMs: get("retention"),
    historyRetentionMs: get("history-retention"),
    heartbeatMs: get("heartbeat"),
    listen,
    dashboard: optional("dashboard"),
    token,
    tls: tlsFiles(optional("tls-cert"), optional("tls-key")),
    logFile: optional("log-file") ?? paths.log,
    logLevel: get("log-level") satisfies LogLevel,
    logFormat: get("log-format") satisfies LogFormat,
    logMaxBytes: get("log-max-bytes"),
    logFiles: get("log-files"),
    synchronous: get("synchronous") === "full" ? "FULL" : "NORMAL",
    busyTimeoutMs: get("busy-timeout"),
    maxWatchers: get("max-watchers"),
    watchQueue: get("watch-queue"),
    maxRequestBytes: get("max-request-bytes"),
    maxContentBytes: get("max-content-bytes"),
    idleConnectionMs: get("idle-connection"),
    maxTimeoutMs: get("max-timeout"),
    agentCommand: get("agent-command"),
    askTimeoutMs: get("ask-timeout"),
    maxAgents: get("max-agents"),
    leaseMs: get("lease"),
  };
}

// Flags of every setting that has one; `--token` is refused with a pointer to the safe ways.
function parseFlags(argv: string[]): Partial<Record<SettingName, string>> {
  const names = (Object.keys(SETTINGS) as SettingName[]).filter((name) => (SETTINGS[name] as Setting).flag !== false);
  const options = Object.fromEntries(names.map((name) => [name, { type: "string" as const }]));
  if (argv.some((arg) => arg === "--token" || arg.startsWith("--token="))) {
    throw new SettingError("the daemon takes no --token flag (it would show in ps): use --token-file FILE or set CLAUDE_COMMS_TOKEN");
  }
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as Partial<Record<SettingName, string>>;
  } catch (error) {
    throw new SettingError((error as Error).message);
  }
}

function daemonToken(flagFile: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  let token: string | undefined;
  try {
    token = resolveToken({ flagFile, envToken: env.CLAUDE_COMMS_TOKEN || undefined, envFile: env.CLAUDE_COMMS_TOKEN_FILE || undefined });
  } catch (error) {
    throw new SettingError((error as Error).message);
  }
  if (token !== undefined && token.length < MIN_TOKEN_LENGTH) {
    throw new SettingError(`the bearer token has ${token.length} characters; use at least ${MIN_TOKEN_LENGTH} (for example: openssl rand -hex 32)`);
  }
  return token;
}

// Reachable from other machines only with a token: refuse to start rather than serve anyone.
function checkExposure(listen: ListenAddress | undefined, token: string | undefined): void {
  if (!listen || listen.loopback || token) return;
  throw new SettingError(
    `--listen ${listen.host}:${listen.port} is not a loopback address, so other machines could reach the daemon: ` +
      "set a bearer token with --token-file FILE or CLAUDE_COMMS_TOKEN (for example: openssl rand -hex 32 > FILE), " +
      "or listen on 127.0.0.1",
  );
}

function tlsFiles(certFile: string | undefined, keyFile: string | undefined): DaemonConfig["tls"] {
  if (!certFile && !keyFile) return undefined;
  if (!certFile || !keyFile) throw new SettingError("TLS needs both --tls-cert and --tls-key (or CLAUDE_COMMS_TLS_CERT and CLAUDE_COMMS_TLS_KEY)");
  return { certFile, keyFile };
}
