import { openLogSink, type LogRotation } from "./log-file.js";
import { RepeatLimiter, REPEAT_WINDOW_MS } from "./log-limiter.js";

/** Log levels, least to most severe. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
/** One log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];
/** Log line formats: one JSON object per line, or `TIME LEVEL msg key=value …` for people. */
export const LOG_FORMATS = ["json", "text"] as const;
/** One log format. */
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Writes one line per entry: time, level, msg, and the given fields. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  close(): void;
}

/**
 * Opens a logger on a file (appended, mode 0600, rotated at `rotation.maxBytes`) or on stderr
 * ("-"): JSON lines by default, or text. Lines below `level` are dropped; a warning or error
 * repeating one written in the last minute is counted instead, and summed up in one line. A
 * failing log write never takes the daemon down.
 */
export function openLogger(
  target: string,
  level: LogLevel = "info",
  format: LogFormat = "json",
  rotation: LogRotation = { maxBytes: 0, keep: 0 },
): Logger {
  const min = LOG_LEVELS.indexOf(level);
  const sink = openLogSink(target, rotation);
  const render = format === "json" ? jsonLine : textLine;
  const emit = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) =>
    sink.write(`${render(new Date().toISOString(), lvl, msg, fields)}\n`);
  const limiter = new RepeatLimiter((lvl, msg, repeated) =>
    emit(lvl as LogLevel, `${msg} (repeated ${repeated} more times within ${REPEAT_WINDOW_MS / 1000} s)`, { repeated }),
  );
  const write = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (LOG_LEVELS.indexOf(lvl) < min) return;
    if ((lvl === "warn" || lvl === "error") && !limiter.admit(lvl, msg, detailOf(fields))) return;
    emit(lvl, msg, fields);
  };
  return {
    debug: (msg, fields) => write("debug", msg, fields),
    info: (msg, fields) => write("info", msg, fields),
    warn: (msg, fields) => write("warn", msg, fields),
    error: (msg, fields) => write("error", msg, fields),
    close: () => {
      limiter.close();
      sink.close();
    },
  };
}

// What makes two warnings "the same": their error's text (a stack differs by call site only).
function detailOf(fields: Record<string, unknown> = {}): string {
  return Object.values(fields)
    .map((v) => (v instanceof Error ? v.message : typeof v === "string" ? v : ""))
    .join("\u0000");
}

function jsonLine(time: string, level: LogLevel, msg: string, fields?: Record<string, unknown>): string {
  return JSON.stringify({ time, level, msg, ...fields }, errorReplacer);
}

// `2025-01-01T00:00:00.000Z INFO daemon started pid=12 listen=["unix:/…"]`: strings bare when
// they have no spaces or quotes, everything else as JSON; an error's stack on following lines.
function textLine(time: string, level: LogLevel, msg: string, fields: Record<string, unknown> = {}): string {
  let stack = "";
  const pairs = Object.entries(fields).map(([key, value]) => {
    if (value instanceof Error) {
      stack ||= value.stack ? `\n${value.stack.replace(/^/gm, "    ")}` : "";
      return `${key}=${JSON.stringify(value.message)}`;
    }
    const bare = typeof value === "string" && /^[^\s"=]+$/.test(value);
    return `${key}=${bare ? value : JSON.stringify(value, errorReplacer)}`;
  });
  return [time, level.toUpperCase(), msg, ...pairs].join(" ") + stack;
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  if (typeof value === "bigint") return value.toString();
  return value;
}
