// Runs the daemon inside this process with callbacks, writes a message through the API and
// prints every status change as it happens. Run: node dist/examples/embedded-daemon.js
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { MessageStatus, startDaemon } from "claude-comms";

const home = fs.mkdtempSync(path.join(os.tmpdir(), "cc-embedded-"));
const daemon = await startDaemon({
  home,
  interval: 0.1,
  onStatusChange: (event) => console.log(`status: ${event.messageId} → ${MessageStatus[event.toStatus]}`),
  onComplete: (event) => console.log(`finished: ${event.messageId} (${MessageStatus[event.toStatus]})`),
});
console.log(`daemon listening on ${daemon.listen.join(", ")}`);

await daemon.messages.createMessage({ threadId: "demo", messageId: "greeting", module: "example" });
await daemon.messages.setStatus({ messageId: "greeting", status: MessageStatus.PROCESSING });
await daemon.messages.appendContent({ messageId: "greeting", content: "Hello from an embedded daemon." });
await daemon.messages.setStatus({ messageId: "greeting", status: MessageStatus.COMPLETE });

await new Promise((resolve) => setTimeout(resolve, 300)); // let the poller deliver the last event
await daemon.stop();
fs.rmSync(home, { recursive: true, force: true });
