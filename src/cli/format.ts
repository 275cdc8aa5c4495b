import Table from "cli-table3";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { timestampDate } from "@bufbuild/protobuf/wkt";

/** Formats a timestamp in local time as `2026-11-25 09:14:03`; "-" when unset. */
export function formatTime(time: Timestamp | undefined): string {
  if (!time) return "-";
  return formatDate(timestampDate(time));
}

/** Formats a date in local time as `2026-11-25 09:14:03`. */
export function formatDate(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  return `${day} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** Formats a byte count: "512 B", "1.5 KiB", "3.2 MiB". */
export function formatBytes(bytes: number | bigint): string {
  let value = Number(bytes);
  if (value < 1024) return `${value} B`;
  for (const unit of ["KiB", "MiB", "GiB"]) {
    value /= 1024;
    if (value < 1024 || unit === "GiB") return `${Number(value.toFixed(1))} ${unit}`;
  }
  return `${value} B`;
}

// Borderless, uncoloured: easy to read, grep and cut.
const PLAIN_CHARS = {
  top: "", "top-mid": "", "top-left": "", "top-right": "",
  bottom: "", "bottom-mid": "", "bottom-left": "", "bottom-right": "",
  left: "", "left-mid": "", mid: "", "mid-mid": "",
  right: "", "right-mid": "", middle: "  ",
};

/** Renders rows under a header as a plain, left-aligned table (no borders, no colours). */
export function renderTable(head: string[], rows: (string | number | bigint)[][]): string {
  const table = new Table({
    head,
    chars: PLAIN_CHARS,
    style: { head: [], border: [], "padding-left": 0, "padding-right": 0, compact: true },
  });
  for (const row of rows) table.push(row.map(String));
  return table
    .toString()
    .split("\n")
    .map((line) => line.trimEnd())
    .join("\n");
}

/** Renders `name value` pairs with the values aligned; pairs with an undefined value are left out. */
export function renderFields(fields: [string, string | undefined][]): string {
  const shown = fields.filter((f): f is [string, string] => f[1] !== undefined);
  const width = Math.max(0, ...shown.map(([name]) => name.length)) + 2;
  return shown.map(([name, value]) => name.padEnd(width) + value).join("\n");
}
