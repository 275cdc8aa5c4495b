import type { JsonObject } from "@bufbuild/protobuf";

/*
 * Any stored row must stay readable, whoever wrote it: other processes write comms.db
 * directly, and SQLite stores any type in any column. Each value read from a row passes one of
 * these on its way into a response; a value that cannot be sent (metadata nested too deep or
 * too large, a blob where text belongs, a timestamp that is not a number) is replaced by a
 * marker, and reported once.
 */

/** Deepest metadata accepted or sent (JSON nesting): a Struct costs two protobuf levels per JSON level, and decoders stop at 100. */
export const MAX_METADATA_DEPTH = 32;
/** Largest metadata accepted or sent, as JSON text. */
export const MAX_METADATA_BYTES = 64 * 1024;
/** Longest text sent for a short column (ids, module, type, title, error, event detail, labels). */
export const MAX_TEXT_BYTES = 64 * 1024;
/** The key of the object that replaces metadata that cannot be sent. */
export const UNREADABLE_KEY = "claude_comms_unreadable";

/** Where a value was read: the row (a message or thread id) and its column. */
export interface ValueSource {
  row: string;
  column: string;
}

/** Receives each unreadable value once: (row, column, why). */
export type UnreadableReporter = (source: ValueSource, reason: string) => void;

let reporter: UnreadableReporter = () => undefined;
const reported = new Set<string>();
const MAX_REPORTED = 10_000;

/** Sets who hears of unreadable stored values (the daemon logs them); returns the previous one. */
export function setUnreadableReporter(next: UnreadableReporter): UnreadableReporter {
  const previous = reporter;
  reporter = next;
  return previous;
}

function report(source: ValueSource, reason: string): void {
  const key = `${source.row}\u0000${source.column}`;
  if (reported.has(key)) return;
  if (reported.size >= MAX_REPORTED) reported.clear();
  reported.add(key);
  reporter(source, reason);
}

/** The marker text that replaces a text value that cannot be sent. */
export function textMarker(reason: string): string {
  return `[claude-comms: ${reason}]`;
}

/** A text column as a string: null → "", numbers as digits, anything else a marker. */
export function readableText(value: unknown, source: ValueSource): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  let reason: string;
  if (typeof value === "string") {
    if (value.length <= MAX_TEXT_BYTES || Buffer.byteLength(value) <= MAX_TEXT_BYTES) return value;
    reason = `a value of ${Buffer.byteLength(value)} bytes, over the ${MAX_TEXT_BYTES / 1024} KiB limit`;
  } else if (Buffer.isBuffer(value) || value instanceof Uint8Array) {
    reason = `a binary value of ${value.byteLength} bytes, not text`;
  } else {
    reason = `a value of type ${typeof value}, not text`;
  }
  report(source, reason);
  return textMarker(reason);
}

/**
 * A time column as Unix seconds: a number, a numeric string, or a date string; anything else
 * reads as 0 (1970-01-01), the marker a Timestamp can carry.
 */
export function readableSeconds(value: unknown, source: ValueSource): number {
  if (typeof value === "number" && Number.isFinite(value) && Math.abs(value) < 1e11) return value;
  if (typeof value === "string") {
    const number = Number(value);
    if (value.trim() && Number.isFinite(number) && Math.abs(number) < 1e11) return number;
    const parsed = Date.parse(value);
    if (Number.isFinite(parsed)) return parsed / 1000;
  }
  if (value === null || value === undefined) return 0;
  report(source, `a time that is not Unix seconds (${typeof value})`);
  return 0;
}

/** A count column (content length) as a whole number ≥ 0; anything else reads as 0. */
export function readableCount(value: unknown, source: ValueSource): number {
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === "bigint" && value >= 0n && value <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(value);
  if (value !== null && value !== undefined) report(source, `a count that is not a whole number (${typeof value})`);
  return 0;
}

/**
 * Stored metadata text as a JSON object: a non-object value is wrapped as {"value": …}, text
 * that is not JSON as {"value": "<the text>"}; metadata nested deeper than 32 levels, over
 * 64 KiB, or not text at all becomes {"claude_comms_unreadable": "<why>"}.
 */
export function readableMetadata(value: unknown, source: ValueSource): JsonObject | undefined {
  if (value === null || value === undefined || value === "") return undefined;
  if (typeof value === "number") return { value };
  const unreadable = (reason: string) => (report(source, reason), { [UNREADABLE_KEY]: reason });
  if (typeof value !== "string") return unreadable(`metadata of type ${Buffer.isBuffer(value) ? "blob" : typeof value}, not JSON text`);
  const bytes = Buffer.byteLength(value);
  if (bytes > MAX_METADATA_BYTES) return unreadable(`metadata of ${bytes} bytes, over the ${MAX_METADATA_BYTES / 1024} KiB limit`);
  const depth = jsonDepth(value);
  if (depth > MAX_METADATA_DEPTH) return unreadable(`metadata nested ${depth} levels deep, over the limit of ${MAX_METADATA_DEPTH}`);
  try {
    const parsed: unknown = JSON.parse(value);
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return parsed as JsonObject;
    return { value: parsed as JsonObject[string] };
  } catch {
    return { value };
  }
}

/** Nesting depth of JSON text (objects and arrays), counted without parsing it. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) max = Math.max(max, ++depth);
    else if (c === 125 || c === 93) depth--;
  }
  return max;
}
