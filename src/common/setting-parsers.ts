import { parseDurationMs } from "./duration.js";
import { isLoopback } from "./loopback.js";

/*
 * The parsers of the settings table: each takes the text of a flag or variable and returns
 * the value, or throws a SettingError that names the flag and says what is accepted. The
 * daemon parses its configuration with them and `claude-comms poll start` checks its options
 * with the same ones before it runs the daemon, so both refuse the same values alike.
 */

/** A setting's value was refused; the message names the flag and what it accepts. */
export class SettingError extends Error {
  override readonly name = "SettingError";
}

/** Parses the text of one setting; `flag` ("--interval") is for the error message. */
export type SettingParser<T> = (text: string, flag: string) => T;

/** A duration ("1.5", "500ms", "15m", "7d") of at least `minMs`, in milliseconds. */
export function duration(minMs: number): SettingParser<number> {
  return (text, flag) => {
    let ms: number;
    try {
      ms = parseDurationMs(text, flag);
    } catch (error) {
      throw new SettingError((error as Error).message);
    }
    if (ms < minMs) throw new SettingError(`${flag} must be at least ${minMs} ms, not "${text}"`);
    return ms;
  };
}

/** A whole number of at least 1. */
export const count: SettingParser<number> = (text, flag) => {
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(n) || n < 1) {
    throw new SettingError(`${flag} must be a positive whole number, not "${text}"`);
  }
  return n;
};

/** A whole number, 0 or more. */
export const wholeNumber: SettingParser<number> = (text, flag) => {
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(n)) {
    throw new SettingError(`${flag} must be a whole number (0 or more), not "${text}"`);
  }
  return n;
};

/** One of a few words (case-insensitive), returned in lowercase. */
export function choice<T extends string>(allowed: readonly T[]): SettingParser<T> {
  return (text, flag) => {
    const value = text.trim().toLowerCase();
    if (!(allowed as readonly string[]).includes(value)) {
      throw new SettingError(`${flag} must be one of ${allowed.join(", ")}, not "${text}"`);
    }
    return value as T;
  };
}

/** Any non-empty text (a path, a command line). */
export const text: SettingParser<string> = (value, flag) => {
  if (!value.trim()) throw new SettingError(`${flag} is empty`);
  return value;
};

/** A TCP address to listen on. */
export interface ListenAddress {
  host: string;
  port: number;
  /** The host is loopback (127.0.0.0/8, localhost, ::1). */
  loopback: boolean;
}

/** HOST:PORT (IPv6 in brackets), and whether the host is loopback. */
export const listenAddress: SettingParser<ListenAddress> = (value, flag) => {
  const match = /^(?:\[([^\]]+)\]|([^:\s/]+)):(\d{1,5})$/.exec(value);
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw new SettingError(`${flag} must be HOST:PORT (for example 127.0.0.1:7777), not "${value}"`);
  const host = match[1] ?? match[2] ?? "";
  return { host, port, loopback: isLoopback(host) };
};

/** The dashboard's `[HOST:]PORT`: a bare port listens on 127.0.0.1. */
export const dashboardAddress: SettingParser<ListenAddress> = (value, flag) => {
  const withHost = /^\d+$/.test(value) ? `127.0.0.1:${value}` : value;
  try {
    return listenAddress(withHost, flag);
  } catch {
    throw new SettingError(`${flag} must be PORT or HOST:PORT (for example 8080 or 127.0.0.1:8080), not "${value}"`);
  }
};

/** `sqlite:PATH` or `postgres://…` (a password in the text is not repeated in the error). */
export const storeUrl: SettingParser<string> = (value, flag) => {
  if (/^postgres(ql)?:\/\/./.test(value) || /^sqlite:./.test(value)) return value;
  throw new SettingError(`${flag} must be sqlite:PATH or postgres://USER@HOST:PORT/DATABASE, not "${value.replace(/:[^:@/]*@/, ":***@")}"`);
};
