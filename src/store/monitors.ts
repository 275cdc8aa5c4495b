import type { Knex } from "knex";
import { InvalidInputError, NotFoundError } from "./errors.js";
import { appendEvent } from "./events.js";
import { lockMessage } from "./messages.js";
import type { Reader } from "./reader.js";
import { nowSeconds, parseLabels } from "./rows.js";

/** A registration request. */
export interface MonitorInput {
  messageId: string;
  /** When set, must match the message's thread. */
  threadId?: string;
  /** Null or 0: no deadline. */
  timeoutMs: number | null;
  labels: Record<string, string>;
}

interface MonitorRow {
  message_id: string;
  registered_at: number;
  timeout_ms: number | null;
  deadline_at: number | null;
  labels: string;
}

/**
 * Registers a message for monitoring, or updates its timeout and labels when it is
 * registered already. Writes a REGISTERED event when anything changed. Returns whether the
 * registration is new.
 */
export async function upsertMonitor(trx: Knex.Transaction, input: MonitorInput): Promise<boolean> {
  const message = await lockMessage(trx, input.messageId);
  if (!message) throw new NotFoundError(`message "${input.messageId}" not found`);
  if (input.threadId && input.threadId !== message.thread_id) {
    // A thread that does not match is a wrong argument (INVALID_ARGUMENT), as in the library's check.
    throw new InvalidInputError(
      `message "${input.messageId}" belongs to thread "${message.thread_id}", not "${input.threadId}"`,
    );
  }
  const existing = (await trx("monitors").where("message_id", input.messageId).first()) as MonitorRow | undefined;
  const now = nowSeconds();
  const timeoutMs = input.timeoutMs || null;
  const labels = JSON.stringify(input.labels);
  const row = { timeout_ms: timeoutMs, deadline_at: timeoutMs ? now + timeoutMs / 1000 : null, labels };
  if (!existing) {
    await trx("monitors").insert({ message_id: input.messageId, registered_at: now, ...row });
    await appendEvent(trx, input.messageId, "registered", "");
    return true;
  }
  if (existing.timeout_ms !== timeoutMs || existing.labels !== labels) {
    await trx("monitors").where("message_id", input.messageId).update(row);
    await appendEvent(trx, input.messageId, "registered", "updated");
  }
  return false;
}

/** Unregisters monitored messages, writing an UNREGISTERED event with `reason` for each. */
export async function deleteMonitors(trx: Knex.Transaction, messageIds: readonly string[], reason: string): Promise<number> {
  let removed = 0;
  for (const messageId of messageIds) {
    const count = await trx("monitors").where("message_id", messageId).delete();
    if (count > 0) {
      await appendEvent(trx, messageId, "unregistered", reason);
      await trx("content_changes").where("message_id", messageId).delete();
      removed += count;
    }
  }
  return removed;
}

/** A monitor's deadline (wall-clock Unix seconds), the timeout it came from, and its labels. */
export interface MonitorDeadline {
  deadlineAt: number | null;
  timeoutMs: number | null;
  labels: Record<string, string>;
}

/** A monitor as the poller loads it at start. */
export interface MonitorState extends MonitorDeadline {
  messageId: string;
  status: string;
  completedAt: number | null;
  contentLength: number;
  /** The message's module ("" for none). */
  module: string;
}

/** Every monitor with its message's status and module (for the poller's start). */
export async function allMonitors(reader: Reader): Promise<MonitorState[]> {
  const rows = await reader.all<{
    message_id: string;
    deadline_at: number | null;
    timeout_ms: number | null;
    status: string;
    completed_at: number | null;
    updated_at: number | null;
    content_length: number;
    labels: string;
    module: string | null;
  }>(
    `SELECT mon.message_id, mon.deadline_at, mon.timeout_ms, mon.labels, m.status, m.completed_at, m.updated_at, m.module,
            ${reader.dialect.byteLength("m.content")} AS content_length
     FROM monitors mon JOIN messages m ON m.message_id = mon.message_id`,
  );
  return rows.map((row) => ({
    messageId: row.message_id,
    deadlineAt: row.deadline_at,
    timeoutMs: row.timeout_ms === null ? null : Number(row.timeout_ms),
    status: row.status,
    completedAt: row.completed_at ?? row.updated_at,
    contentLength: Number(row.content_length),
    labels: parseLabels(row.labels),
    module: row.module ?? "",
  }));
}

/** One monitor's deadline and labels, or undefined when not monitored. */
export async function monitorDeadline(reader: Reader, messageId: string): Promise<MonitorDeadline | undefined> {
  const row = await reader.get<{ deadline_at: number | null; timeout_ms: number | null; labels: string }>(
    "SELECT deadline_at, timeout_ms, labels FROM monitors WHERE message_id = ?",
    [messageId],
  );
  return (
    row && {
      deadlineAt: row.deadline_at,
      timeoutMs: row.timeout_ms === null ? null : Number(row.timeout_ms),
      labels: parseLabels(row.labels),
    }
  );
}
