import { choice, count, dashboardAddress, duration, listenAddress, storeUrl, text, wholeNumber, type SettingParser } from "./setting-parsers.js";

/*
 * The one table of daemon settings: flag (the key), environment variable, default, parser
 * and meaning. The daemon's configuration (daemon/config.ts) is parsed with it, `poll start`
 * makes its options from it and checks their values with the same parsers, and the README's
 * configuration table is generated from it (settings-table.ts; a test keeps them equal).
 */

/** One setting. */
export interface Setting<T = unknown> {
  /** The environment variable, read when the flag is not given. */
  env: string;
  /** The default as the README shows it; "" when unset. Parsed like a given value unless `derived`. */
  default: string;
  /** What it does, for `--help` and the README. */
  help: string;
  /** Parses and checks a given value; absent for plain text taken as it is. */
  parse?: SettingParser<T>;
  /** The default is worked out from other settings (the home directory), not parsed from `default`. */
  derived?: true;
  /** `false` for a setting that is a variable only. */
  flag?: false;
}

/** The settings, in the order the README lists them. */
export const SETTINGS = {
  home: { env: "CLAUDE_COMMS_HOME", default: "~/.claude-comms", derived: true, parse: text, help: "state directory (socket, database, log)" },
  store: { env: "CLAUDE_COMMS_STORE", default: "sqlite:$HOME/comms.db", derived: true, parse: storeUrl, help: "sqlite:PATH, or postgres://USER@HOST:PORT/DB for several daemons" },
  interval: { env: "CLAUDE_COMMS_INTERVAL", default: "1", parse: duration(1), help: "poller interval in seconds (fractions allowed)" },
  retention: { env: "CLAUDE_COMMS_RETENTION", default: "1h", parse: duration(0), help: "how long finished messages stay monitored" },
  "history-retention": { env: "CLAUDE_COMMS_HISTORY_RETENTION", default: "7d", parse: duration(1), help: "how long events stay in the log" },
  heartbeat: { env: "CLAUDE_COMMS_HEARTBEAT", default: "15s", parse: duration(10), help: "heartbeat interval of idle watch streams (a new stream's first heartbeat comes after half an interval to one, so streams opened together do not beat together)" },
  listen: { env: "CLAUDE_COMMS_LISTEN", default: "", parse: listenAddress, help: "also listen on TCP HOST:PORT; a non-loopback host needs a token" },
  dashboard: { env: "CLAUDE_COMMS_DASHBOARD", default: "", parse: dashboardAddress, help: "serve the web dashboard and /metrics on [HOST:]PORT (host 127.0.0.1 unless given); always behind the token" },
  "token-file": { env: "CLAUDE_COMMS_TOKEN_FILE", default: "", parse: text, help: "file whose first line is the bearer token TCP clients must send" },
  token: { env: "CLAUDE_COMMS_TOKEN", default: "", help: "the bearer token itself (a variable only: a flag would show it in ps)", flag: false },
  "tls-cert": { env: "CLAUDE_COMMS_TLS_CERT", default: "", parse: text, help: "PEM certificate (chain): the TCP listener speaks TLS" },
  "tls-key": { env: "CLAUDE_COMMS_TLS_KEY", default: "", parse: text, help: "PEM private key of --tls-cert" },
  "log-file": { env: "CLAUDE_COMMS_LOG_FILE", default: "$HOME/daemon.log", derived: true, parse: text, help: "log file, - for stderr" },
  "log-level": { env: "CLAUDE_COMMS_LOG_LEVEL", default: "info", parse: choice(["debug", "info", "warn", "error"] as const), help: "debug, info, warn or error" },
  "log-format": { env: "CLAUDE_COMMS_LOG_FORMAT", default: "json", parse: choice(["json", "text"] as const), help: "json (one object per line) or text" },
  "log-max-bytes": { env: "CLAUDE_COMMS_LOG_MAX_BYTES", default: "10485760", parse: count, help: "rotate the log file once it reaches this size" },
  "log-files": { env: "CLAUDE_COMMS_LOG_FILES", default: "3", parse: wholeNumber, help: "rotated log files kept (daemon.log.1 … .N)" },
  synchronous: { env: "CLAUDE_COMMS_SYNCHRONOUS", default: "normal", parse: choice(["normal", "full"] as const), help: "SQLite synchronous: normal or full" },
  "busy-timeout": { env: "CLAUDE_COMMS_BUSY_TIMEOUT", default: "5s", parse: duration(0), help: "wait for another writer's lock" },
  "max-watchers": { env: "CLAUDE_COMMS_MAX_WATCHERS", default: "20000", parse: count, help: "concurrent watch streams" },
  "watch-queue": { env: "CLAUDE_COMMS_WATCH_QUEUE", default: "10000", parse: count, help: "events queued per watcher" },
  "idle-connection": { env: "CLAUDE_COMMS_IDLE_CONNECTION", default: "5m", parse: duration(100), help: "close a connection with no call in flight for this long" },
  "max-request-bytes": { env: "CLAUDE_COMMS_MAX_REQUEST_BYTES", default: "4194304", parse: count, help: "largest request" },
  "max-content-bytes": { env: "CLAUDE_COMMS_MAX_CONTENT_BYTES", default: "4194304", parse: count, help: "largest content of a message; an agent's answer past it fails" },
  "max-timeout": { env: "CLAUDE_COMMS_MAX_TIMEOUT", default: "7d", parse: duration(1), help: "longest timeout a request may ask for" },
  "agent-command": { env: "CLAUDE_COMMS_AGENT_COMMAND", default: "claude", parse: (value, flag) => text(value, flag).split(/\s+/).filter(Boolean), help: "agent CLI run by ask (split on spaces)" },
  "ask-timeout": { env: "CLAUDE_COMMS_ASK_TIMEOUT", default: "10m", parse: duration(1), help: "timeout of an ask that names none" },
  "max-agents": { env: "CLAUDE_COMMS_MAX_AGENTS", default: "4", parse: count, help: "agents running at once" },
  lease: { env: "CLAUDE_COMMS_LEASE", default: "15s", parse: duration(1000), help: "a dead daemon's unfinished asks fail after this (PostgreSQL)" },
} as const satisfies Record<string, Setting>;

/** The name (flag without its dashes) of a setting. */
export type SettingName = keyof typeof SETTINGS;

/** The parsed value of a setting. */
export type SettingValue<K extends SettingName> = (typeof SETTINGS)[K] extends { parse: SettingParser<infer T> } ? T : string;

/** Settings whose value is a file path: the CLI resolves them before the daemon runs from "/". */
export const PATH_SETTINGS: ReadonlySet<string> = new Set(["log-file", "token-file", "tls-cert", "tls-key"]);

/**
 * Parses the text of a setting with its parser (plain text when it has none). Throws a
 * SettingError naming the flag when the value is refused.
 */
export function parseSetting<K extends SettingName>(name: K, value: string): SettingValue<K> {
  const setting: Setting = SETTINGS[name];
  return (setting.parse ? setting.parse(value, `--${name}`) : value) as SettingValue<K>;
}
