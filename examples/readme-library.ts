// The README's library example, as it stands there: node dist/examples/readme-library.js
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { durationFromSeconds, EventKind, MessageStatus, pollMessageUntilComplete, startDaemon } from "claude-comms";

// A daemon inside this process, on a home of its own; onComplete gets the finished message.
const home = fs.mkdtempSync(path.join(os.tmpdir(), "cc-readme-"));
const daemon = await startDaemon({
  home,
  onComplete: (event, message) => console.log(`onComplete: ${event.messageId} ${MessageStatus[message.status]}`),
});
try {
  await daemon.messages.createMessage({ threadId: "t1", messageId: "m1", status: MessageStatus.PROCESSING });
  await daemon.polling.addMessage({ messageId: "m1", timeout: durationFromSeconds(60) });
  // Someone answers, a little later (here: this process).
  setTimeout(async () => {
    await daemon.messages.appendContent({ messageId: "m1", content: "forty-two" });
    await daemon.messages.setStatus({ messageId: "m1", status: MessageStatus.COMPLETE });
  }, 200);
  const result = await pollMessageUntilComplete({
    home,
    messageId: "m1",
    timeout: 60,
    onProgress: (e) => console.log(`${EventKind[e.kind]} ${e.contentLength} bytes`),
  });
  console.log(`${MessageStatus[result.status]}: ${result.content}`);
} finally {
  await daemon.stop(); // releases the home's lock and socket
  fs.rmSync(home, { recursive: true, force: true });
}
