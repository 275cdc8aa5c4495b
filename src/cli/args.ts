import { parseDurationMs } from "../common/duration.js";
import { usageError } from "./errors.js";

/** Parses a duration option (`30`, `1.5`, `500ms`, `15m`) to milliseconds; a usage error otherwise. */
export function durationOption(text: string, flag: string): number {
  try {
    return parseDurationMs(text, flag);
  } catch (error) {
    throw usageError((error as Error).message);
  }
}

/** Parses a whole number option within [min, max]; a usage error otherwise. */
export function integerOption(text: string, flag: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const value = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || value < min || value > max) {
    throw usageError(`invalid ${flag} "${text}": use a whole number from ${min} to ${max}`);
  }
  return value;
}

/** Parses repeated `--label key=value` options into a map; a usage error names a bad one. */
export function labelsOption(values: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const item of values) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw usageError(`invalid --label "${item}": use KEY=VALUE`);
    labels[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return labels;
}

/** Returns the text, or all of stdin when the text is `-`. */
export async function textOrStdin(text: string): Promise<string> {
  if (text !== "-") return text;
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
