import { EventKind, type Event } from "../../gen/claude_comms/v1/message_pb.js";
import { formatTime } from "./format.js";
import { eventKindName, statusName } from "./status.js";

/** One event as a line: time, seq, kind, status (or transition), length and detail. */
export function eventLine(e: Event, withId = false): string {
  const status =
    e.kind === EventKind.STATUS_CHANGED
      ? `${statusName(e.fromStatus)}→${statusName(e.toStatus)}`
      : statusName(e.kind === EventKind.SNAPSHOT && e.message ? e.message.status : e.toStatus);
  const length = e.kind === EventKind.SNAPSHOT && e.message ? e.message.contentLength : e.contentLength;
  const parts = [formatTime(e.time), ...(withId ? [e.messageId] : []), `seq ${e.seq}`.padEnd(9), eventKindName(e.kind).padEnd(16), status.padEnd(20), `${length} bytes`];
  if (e.detail) parts.push(e.detail);
  return parts.join("  ").trimEnd();
}
