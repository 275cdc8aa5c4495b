import { MessageStatus } from "../../gen/claude_comms/v1/message_pb.js";

/** The statuses a message ends in; a status added later is not one unless listed here. */
const FINISHED = new Set<MessageStatus>([MessageStatus.COMPLETE, MessageStatus.FAILED, MessageStatus.TIMED_OUT, MessageStatus.CANCELLED]);

/** True for COMPLETE, FAILED, TIMED_OUT and CANCELLED. */
export function isFinishedStatus(status: MessageStatus): boolean {
  return FINISHED.has(status);
}
