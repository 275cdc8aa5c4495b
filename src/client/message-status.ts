import { MessageStatus } from "../../gen/claude_comms/v1/message_pb.js";
import { isStatusName, isTerminal, type StatusName } from "../common/status.js";

/** The status name of a generated enum value ("timed_out"); undefined for UNSPECIFIED or an unknown value. */
export function statusNameOf(status: MessageStatus): StatusName | undefined {
  const name = MessageStatus[status]?.toLowerCase();
  return isStatusName(name) ? name : undefined;
}

/** The generated enum value of a status name, looked up by name. */
export function statusOfName(name: StatusName): MessageStatus {
  return MessageStatus[name.toUpperCase() as keyof typeof MessageStatus];
}

/** True for COMPLETE, FAILED, TIMED_OUT and CANCELLED (the shared status table's terminal ones). */
export function isFinishedStatus(status: MessageStatus): boolean {
  const name = statusNameOf(status);
  return name !== undefined && isTerminal(name);
}
