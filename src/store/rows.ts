import type { EventKindName, EventRecord, MessageRecord, MonitorRecord, ThreadRecord } from "./records.js";
import type { Dialect } from "./dialect.js";
import { isTerminal, type StatusName } from "./status.js";

/** Columns selected for a message (content excluded; its length computed). */
export function messageColumns(dialect: Dialect): string {
  return `m.message_id, m.thread_id, m.module, m.type, m.timestamp, m.status,
  m.metadata, m.error, m.updated_at, m.completed_at,
  ${dialect.byteLength("m.content")} AS content_length,
  mon.registered_at, mon.timeout_ms, mon.deadline_at, mon.labels AS monitor_labels`;
}

/** FROM clause matching messageColumns(). */
export const MESSAGE_FROM = "messages m LEFT JOIN monitors mon ON mon.message_id = m.message_id";

/** A row selected with messageColumns(). */
export interface MessageRow {
  message_id: string;
  thread_id: string;
  module: string | null;
  type: string | null;
  timestamp: number | null;
  status: string | null;
  metadata: string | null;
  error: string | null;
  updated_at: number | null;
  completed_at: number | null;
  content_length: number;
  registered_at: number | null;
  timeout_ms: number | null;
  deadline_at: number | null;
  monitor_labels: string | null;
  content?: string | null;
}

/** A row of message_events. */
export interface EventRow {
  seq: number;
  message_id: string;
  thread_id: string | null;
  kind: string;
  from_status: string | null;
  to_status: string | null;
  content_length: number | null;
  time: number;
  detail: string | null;
}

/** A row of threads. */
export interface ThreadRow {
  thread_id: string;
  title: string | null;
  modules: string | null;
  timestamp: number | null;
  metadata: string | null;
}

/** Maps a message row to its record. */
export function messageFromRow(row: MessageRow): MessageRecord {
  const status = (row.status ?? "pending") as StatusName;
  const createdAt = row.timestamp ?? 0;
  const record: MessageRecord = {
    messageId: row.message_id,
    threadId: row.thread_id,
    module: row.module ?? "",
    type: row.type ?? "",
    status,
    contentLength: row.content_length,
    error: row.error ?? "",
    metadata: row.metadata,
    createdAt,
    updatedAt: row.updated_at ?? createdAt,
    completedAt: row.completed_at ?? (isTerminal(status) ? (row.updated_at ?? createdAt) : null),
    monitor: monitorFromRow(row),
  };
  if (row.content !== undefined) record.content = row.content ?? "";
  return record;
}

function monitorFromRow(row: MessageRow): MonitorRecord | null {
  if (row.registered_at === null) return null;
  return {
    registeredAt: row.registered_at,
    deadlineAt: row.deadline_at,
    timeoutMs: row.timeout_ms,
    labels: parseLabels(row.monitor_labels),
  };
}

/** Parses stored labels JSON; anything malformed reads as no labels. */
export function parseLabels(text: string | null): Record<string, string> {
  if (!text) return {};
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === "object" && !Array.isArray(value)) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
    }
  } catch {
    // Labels are written only by the daemon; a hand-edited value is ignored, not fatal.
  }
  return {};
}

/** Maps an event row to its record. */
export function eventFromRow(row: EventRow): EventRecord {
  return {
    seq: row.seq,
    messageId: row.message_id,
    threadId: row.thread_id ?? "",
    kind: row.kind as EventKindName,
    fromStatus: row.from_status as StatusName | null,
    toStatus: row.to_status as StatusName | null,
    contentLength: row.content_length ?? 0,
    time: row.time,
    detail: row.detail ?? "",
  };
}

/** Maps a thread row to its record. */
export function threadFromRow(row: ThreadRow): ThreadRecord {
  let modules: string[] = [];
  try {
    const parsed: unknown = row.modules ? JSON.parse(row.modules) : [];
    if (Array.isArray(parsed)) modules = parsed.map(String);
  } catch {
    // Not JSON: a comma-separated list (the original tool's writers), or whatever else is there.
    modules = row.modules ? String(row.modules).split(",").map((m) => m.trim()).filter(Boolean) : [];
  }
  return {
    threadId: row.thread_id,
    title: row.title ?? "",
    modules,
    metadata: row.metadata,
    createdAt: row.timestamp ?? 0,
  };
}

/** The current time as Unix seconds with millisecond precision. */
export function nowSeconds(): number {
  return Date.now() / 1000;
}

/** The rows of a `knex.raw` result: better-sqlite3 gives an array, pg a result with `rows`. */
export function rawRows<T>(result: unknown): T[] {
  return Array.isArray(result) ? (result as T[]) : (result as { rows: T[] }).rows;
}
