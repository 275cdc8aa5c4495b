/*
 * Every daemon setting: its flag (the key), environment variable, default and meaning. Pure
 * data, shared by the daemon (which parses them) and the CLI (whose `poll start` forwards
 * them); the README's configuration table is made from it.
 */

/** One setting: its variable, default and meaning; `flag: false` marks a variable without a flag. */
export interface Setting {
  env: string;
  default: string;
  help: string;
  flag?: false;
}

/** The settings, their flags, variables and defaults (the README's configuration table). */
export const SETTINGS = {
  home: { env: "CLAUDE_COMMS_HOME", default: "~/.claude-comms", help: "state directory (socket, database, log)" },
  store: { env: "CLAUDE_COMMS_STORE", default: "sqlite:$HOME/comms.db", help: "sqlite:PATH, or postgres://USER@HOST:PORT/DB for several daemons" },
  interval: { env: "CLAUDE_COMMS_INTERVAL", default: "1", help: "poller interval in seconds (fractions allowed)" },
  retention: { env: "CLAUDE_COMMS_RETENTION", default: "1h", help: "how long finished messages stay monitored" },
  "history-retention": { env: "CLAUDE_COMMS_HISTORY_RETENTION", default: "7d", help: "how long events stay in the log" },
  heartbeat: { env: "CLAUDE_COMMS_HEARTBEAT", default: "15s", help: "heartbeat interval of idle watch streams" },
  listen: { env: "CLAUDE_COMMS_LISTEN", default: "", help: "also listen on TCP HOST:PORT; a non-loopback host needs a token" },
  dashboard: { env: "CLAUDE_COMMS_DASHBOARD", default: "", help: "serve the web dashboard and /metrics on [HOST:]PORT (host 127.0.0.1 unless given); always behind the token" },
  "token-file": { env: "CLAUDE_COMMS_TOKEN_FILE", default: "", help: "file whose first line is the bearer token TCP clients must send" },
  token: { env: "CLAUDE_COMMS_TOKEN", default: "", help: "the bearer token itself (a variable only: a flag would show it in ps)", flag: false },
  "tls-cert": { env: "CLAUDE_COMMS_TLS_CERT", default: "", help: "PEM certificate (chain): the TCP listener speaks TLS" },
  "tls-key": { env: "CLAUDE_COMMS_TLS_KEY", default: "", help: "PEM private key of --tls-cert" },
  "log-file": { env: "CLAUDE_COMMS_LOG_FILE", default: "$HOME/daemon.log", help: "log file, - for stderr" },
  "log-level": { env: "CLAUDE_COMMS_LOG_LEVEL", default: "info", help: "debug, info, warn or error" },
  "log-format": { env: "CLAUDE_COMMS_LOG_FORMAT", default: "json", help: "json (one object per line) or text" },
  "log-max-bytes": { env: "CLAUDE_COMMS_LOG_MAX_BYTES", default: "10485760", help: "rotate the log file once it reaches this size" },
  "log-files": { env: "CLAUDE_COMMS_LOG_FILES", default: "3", help: "rotated log files kept (daemon.log.1 … .N)" },
  synchronous: { env: "CLAUDE_COMMS_SYNCHRONOUS", default: "normal", help: "SQLite synchronous: normal or full" },
  "busy-timeout": { env: "CLAUDE_COMMS_BUSY_TIMEOUT", default: "5s", help: "wait for another writer's lock" },
  "max-watchers": { env: "CLAUDE_COMMS_MAX_WATCHERS", default: "20000", help: "concurrent watch streams" },
  "watch-queue": { env: "CLAUDE_COMMS_WATCH_QUEUE", default: "10000", help: "events queued per watcher" },
  "idle-connection": { env: "CLAUDE_COMMS_IDLE_CONNECTION", default: "5m", help: "close a connection with no call in flight for this long" },
  "max-request-bytes": { env: "CLAUDE_COMMS_MAX_REQUEST_BYTES", default: "4194304", help: "largest request" },
  "max-content-bytes": { env: "CLAUDE_COMMS_MAX_CONTENT_BYTES", default: "4194304", help: "largest content of a message; an agent's answer past it fails" },
  "max-timeout": { env: "CLAUDE_COMMS_MAX_TIMEOUT", default: "7d", help: "longest timeout a request may ask for" },
  "agent-command": { env: "CLAUDE_COMMS_AGENT_COMMAND", default: "claude", help: "agent CLI run by ask" },
  "ask-timeout": { env: "CLAUDE_COMMS_ASK_TIMEOUT", default: "10m", help: "timeout of an ask that names none" },
  "max-agents": { env: "CLAUDE_COMMS_MAX_AGENTS", default: "4", help: "agents running at once" },
  lease: { env: "CLAUDE_COMMS_LEASE", default: "15s", help: "a dead daemon's unfinished asks fail after this (PostgreSQL)" },
} as const satisfies Record<string, Setting>;


/** Settings whose value is a file path: the CLI resolves them before the daemon runs from "/". */
export const PATH_SETTINGS: ReadonlySet<string> = new Set(["log-file", "token-file", "tls-cert", "tls-key"]);
