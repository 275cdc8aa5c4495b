import fs from "node:fs";

/** Log levels, least to most severe. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
/** One log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Writes one JSON object per line: time, level, msg, and the given fields. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  close(): void;
}

/**
 * Opens a JSON-lines logger on a file (appended, mode 0600) or on stderr ("-"). Lines below
 * `level` are dropped. A failing log write never takes the daemon down.
 */
export function openLogger(target: string, level: LogLevel = "info"): Logger {
  const min = LOG_LEVELS.indexOf(level);
  const fd = target === "-" ? 2 : fs.openSync(target, "a", 0o600);
  const write = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (LOG_LEVELS.indexOf(lvl) < min) return;
    const line = JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...fields }, errorReplacer);
    try {
      fs.writeSync(fd, `${line}\n`);
    } catch {
      // Nowhere left to report a logging failure; keep serving.
    }
  };
  return {
    debug: (msg, fields) => write("debug", msg, fields),
    info: (msg, fields) => write("info", msg, fields),
    warn: (msg, fields) => write("warn", msg, fields),
    error: (msg, fields) => write("error", msg, fields),
    close: () => {
      if (fd !== 2) fs.closeSync(fd);
    },
  };
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  if (typeof value === "bigint") return value.toString();
  return value;
}
