// The original tool's poll_message_until_complete, against a running daemon:
//   node dist/examples/poll-until-complete.js MESSAGE_ID [TIMEOUT_SECONDS]
// Prints each event as it arrives and exits 0 when the message completes.
import { EventKind, MessageStatus, pollMessageUntilComplete } from "claude-comms";

const [messageId, timeout] = process.argv.slice(2);
if (!messageId) {
  console.error("usage: poll-until-complete MESSAGE_ID [TIMEOUT_SECONDS]");
  process.exit(2);
}
const result = await pollMessageUntilComplete({
  messageId,
  timeout: timeout === undefined ? undefined : Number(timeout),
  idleConnectionTimeoutMs: 100,
  onProgress: (event) =>
    console.log(`#${event.seq} ${EventKind[event.kind]} ${MessageStatus[event.toStatus]} ${event.contentLength} bytes`),
});
console.log(result.finished ? `finished: ${MessageStatus[result.status]}` : `still ${MessageStatus[result.status]}`);
process.exit(result.status === MessageStatus.COMPLETE ? 0 : 1);
