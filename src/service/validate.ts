import type { Duration } from "@bufbuild/protobuf/wkt";
import { durationMs } from "@bufbuild/protobuf/wkt";
import { InvalidInputError } from "../common/errors.js";

/** Longest id accepted (message, thread, module names). */
export const MAX_ID_LENGTH = 256;
const MAX_LABELS = 64;
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Checks a required id: not empty, at most 256 characters, no control characters. */
export function requireId(value: string, field: string): string {
  if (!value) throw new InvalidInputError(`${field} is required`);
  return checkId(value, field);
}

/** Checks an optional id (empty allowed). */
export function optionalId(value: string, field: string): string {
  return value ? checkId(value, field) : value;
}

function checkId(value: string, field: string): string {
  if (value.length > MAX_ID_LENGTH) {
    throw new InvalidInputError(`${field} is ${value.length} characters long; the limit is ${MAX_ID_LENGTH}`);
  }
  if (CONTROL.test(value)) throw new InvalidInputError(`${field} must not contain control characters`);
  return value;
}

/** Largest |seconds| of a google.protobuf.Duration (10,000 years), as protobuf defines it. */
const MAX_DURATION_SECONDS = 315_576_000_000n;

/**
 * A Duration as milliseconds: undefined or zero → null; negative or over `maxMs` is invalid,
 * and so is one protobuf itself calls invalid (nanos outside ±999,999,999, seconds and nanos of
 * opposite signs, seconds past ±10,000 years), whatever it would have computed to.
 */
export function optionalDurationMs(value: Duration | undefined, field: string, maxMs: number): number | null {
  if (!value) return null;
  checkDuration(value, field);
  const ms = durationMs(value);
  if (!Number.isFinite(ms) || ms < 0) throw new InvalidInputError(`${field} must not be negative`);
  if (ms > maxMs) throw new InvalidInputError(`${field} is over the limit of ${Math.round(maxMs / 1000)} s`);
  return ms === 0 ? null : ms;
}

function checkDuration(value: Duration, field: string): void {
  const { seconds, nanos } = value;
  const shown = `{seconds: ${seconds}, nanos: ${nanos}}`;
  if (!Number.isInteger(nanos) || nanos < -999_999_999 || nanos > 999_999_999) {
    throw new InvalidInputError(`${field} ${shown} is not a valid duration: nanos must be between -999999999 and 999999999`);
  }
  if ((seconds > 0n && nanos < 0) || (seconds < 0n && nanos > 0)) {
    throw new InvalidInputError(`${field} ${shown} is not a valid duration: seconds and nanos must have the same sign`);
  }
  if (seconds > MAX_DURATION_SECONDS || seconds < -MAX_DURATION_SECONDS) {
    throw new InvalidInputError(`${field} ${shown} is not a valid duration: seconds must be within ±${MAX_DURATION_SECONDS}`);
  }
}

/** Checks monitor labels: at most 64, keys not empty, keys and values at most 256 characters. */
export function checkLabels(labels: Record<string, string>): Record<string, string> {
  const entries = Object.entries(labels);
  if (entries.length > MAX_LABELS) throw new InvalidInputError(`at most ${MAX_LABELS} labels are allowed`);
  for (const [key, value] of entries) {
    requireId(key, "label key");
    if (value.length > MAX_ID_LENGTH) throw new InvalidInputError(`label "${key}" value is over ${MAX_ID_LENGTH} characters`);
  }
  return labels;
}

/** A page size: 0 → the default, otherwise 1..max. */
export function pageSize(value: number, fallback: number, max: number): number {
  if (value === 0) return fallback;
  if (value < 0 || value > max) throw new InvalidInputError(`page_size must be between 1 and ${max}`);
  return value;
}

/** Encodes a list position as an opaque page token. */
export function encodePageToken(rowId: number): string {
  return Buffer.from(`r:${rowId}`).toString("base64url");
}

/** Decodes a page token; InvalidInputError when it is not one we made. */
export function decodePageToken(token: string): number | undefined {
  if (!token) return undefined;
  const match = /^r:(\d{1,15})$/.exec(Buffer.from(token, "base64url").toString());
  if (!match) throw new InvalidInputError("page_token is invalid: pass the next_page_token of the previous page");
  return Number(match[1]);
}
