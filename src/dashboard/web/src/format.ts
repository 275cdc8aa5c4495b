import { timestampMs, type Timestamp } from "@bufbuild/protobuf/wkt";
import { EventKind, MessageStatus } from "../../../../gen/claude_comms/v1/message_pb.js";

/** Statuses in lifecycle order, without UNSPECIFIED. */
export const STATUSES = [
  MessageStatus.PENDING,
  MessageStatus.PROCESSING,
  MessageStatus.COMPLETE,
  MessageStatus.FAILED,
  MessageStatus.TIMED_OUT,
  MessageStatus.CANCELLED,
];

/** "processing", as the CLI and the store spell it. */
export function statusName(status: MessageStatus): string {
  return (MessageStatus[status] ?? "unknown").toLowerCase();
}

/** True for COMPLETE, FAILED, TIMED_OUT and CANCELLED. */
export function isTerminal(status: MessageStatus): boolean {
  return status >= MessageStatus.COMPLETE;
}

/** "status_changed". */
export function kindName(kind: EventKind): string {
  return (EventKind[kind] ?? `kind ${kind}`).toLowerCase();
}

/** Milliseconds since the epoch of a timestamp, or undefined. */
export function ms(ts: Timestamp | undefined): number | undefined {
  return ts ? timestampMs(ts) : undefined;
}

/** "14:03:27" today, else "Dec 1 14:03". */
export function clock(ts: Timestamp | undefined): string {
  const t = ms(ts);
  if (t === undefined) return "-";
  const d = new Date(t);
  const sameDay = d.toDateString() === new Date().toDateString();
  return sameDay ? d.toLocaleTimeString([], { hour12: false }) : d.toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false });
}

/** "2h 03m", "4m 05s", "12s". */
export function span(msTotal: number): string {
  if (msTotal > 0 && msTotal < 1000) return `${Math.round(msTotal)} ms`;
  const s = Math.max(0, Math.round(msTotal / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, "0")}s`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return `${hours}h ${String(m % 60).padStart(2, "0")}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** "1.2 KiB". */
export function bytes(n: number | bigint): string {
  const v = Number(n);
  if (v < 1024) return `${v} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let x = v / 1024;
  let i = 0;
  while (x >= 1024 && i < units.length - 1) (x /= 1024), i++;
  return `${x.toFixed(1)} ${units[i]}`;
}

/** The first 8 characters of an id (they are UUIDs, mostly), the whole in the title. */
export function shortId(id: string): string {
  return id.length > 12 ? `${id.slice(0, 8)}…` : id;
}
