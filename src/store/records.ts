import { isTerminal, type StatusName } from "./status.js";

/** A message's monitor registration. Times are Unix seconds. */
export interface MonitorRecord {
  registeredAt: number;
  /** Wall-clock deadline, or null for none. */
  deadlineAt: number | null;
  /** The timeout the deadline was computed from, or null. */
  timeoutMs: number | null;
  labels: Record<string, string>;
}

/** A message as the store holds it. Times are Unix seconds. */
export interface MessageRecord {
  messageId: string;
  threadId: string;
  module: string;
  type: string;
  status: StatusName;
  /** Content length in UTF-8 bytes. */
  contentLength: number;
  error: string;
  /** The stored metadata text (JSON by convention), or null. */
  metadata: string | null;
  createdAt: number;
  updatedAt: number;
  completedAt: number | null;
  monitor: MonitorRecord | null;
  /** Only when asked for. */
  content?: string;
}

/** A thread. */
export interface ThreadRecord {
  threadId: string;
  title: string;
  modules: string[];
  metadata: string | null;
  createdAt: number;
}

/** What an event-log row records. */
export type EventKindName =
  | "created" | "status_changed" | "progress" | "registered" | "unregistered"
  | "agent_tool_use" | "agent_tool_error" | "agent_retry" | "agent_result";

/** One row of the event log. */
export interface EventRecord {
  seq: number;
  messageId: string;
  threadId: string;
  kind: EventKindName;
  fromStatus: StatusName | null;
  toStatus: StatusName | null;
  contentLength: number;
  time: number;
  detail: string;
  /**
   * The message's module and monitor labels, attached once when the event is read for many
   * watchers (by the poller's tail, or a replay), so a watch filter is a pure function of
   * the event. Absent on events read otherwise (one message's history).
   */
  attributes?: EventAttributes;
}

/** What a multi-message watch may filter on besides the event's own fields. */
export interface EventAttributes {
  /** The message's module ("" when none). */
  module: string;
  /** The labels of the message's monitor ({} when not monitored). */
  labels: Readonly<Record<string, string>>;
}

/** True when the event moves its message into a terminal status. */
export function isTerminalEvent(event: EventRecord): boolean {
  return (
    (event.kind === "status_changed" || event.kind === "created") &&
    event.toStatus !== null &&
    isTerminal(event.toStatus)
  );
}
