import { EventKind, MessageStatus } from "../../gen/claude_comms/v1/message_pb.js";
import { isFinishedStatus, statusNameOf, statusOfName } from "../client/message-status.js";
import { ACTIVE_STATUSES, STATUS_NAMES, isStatusName } from "../common/status.js";
import { usageError } from "./errors.js";
import { ExitCode } from "./exit-codes.js";

export { STATUS_NAMES };

/** Parses a status name (case-insensitive); a usage error lists the valid names. */
export function parseStatus(text: string): MessageStatus {
  const name = text.trim().toLowerCase().replace(/-/g, "_");
  if (!isStatusName(name)) {
    throw usageError(`unknown status "${text}": use one of ${STATUS_NAMES.join(", ")}`);
  }
  return statusOfName(name);
}

/** The statuses of `--active`: pending and processing. */
export function activeStatuses(): MessageStatus[] {
  return ACTIVE_STATUSES.map(statusOfName);
}

/** The lowercase name of a status ("timed_out"); "-" for UNSPECIFIED. */
export function statusName(status: MessageStatus): string {
  if (status === MessageStatus.UNSPECIFIED) return "-";
  return statusNameOf(status) ?? `status_${status}`;
}

/** The lowercase name of an event kind ("status_changed"). */
export function eventKindName(kind: EventKind): string {
  return (EventKind[kind] ?? `kind_${kind}`).toLowerCase();
}

/** True for COMPLETE, FAILED, TIMED_OUT and CANCELLED. */
export const isTerminal = isFinishedStatus;

/**
 * The exit code of a final status: 0 COMPLETE, 10 FAILED, 11 TIMED_OUT, 12 CANCELLED;
 * undefined while the message is not finished.
 */
export function exitCodeOfStatus(status: MessageStatus): number | undefined {
  switch (status) {
    case MessageStatus.COMPLETE:
      return ExitCode.OK;
    case MessageStatus.FAILED:
      return ExitCode.FAILED;
    case MessageStatus.TIMED_OUT:
      return ExitCode.TIMED_OUT;
    case MessageStatus.CANCELLED:
      return ExitCode.CANCELLED;
    default:
      return undefined;
  }
}
