// Asks a registered module a question and waits for the answer, streaming it as it comes:
//   node dist/examples/ask-module.js FROM TO "QUESTION"
// Against a daemon started with the example agent, for instance:
//   claude-comms poll start --agent-command "node examples/echo-agent.mjs"
//   claude-comms module add marker --dir /tmp
import { MessageStatus, askModule } from "claude-comms";

const [from, to, question] = process.argv.slice(2);
if (!from || !to || !question) {
  console.error('usage: ask-module FROM TO "QUESTION"');
  process.exit(2);
}
const result = await askModule({ from, to, question, waitForCompletion: true, idleConnectionTimeoutMs: 100 });
console.log(`thread ${result.threadId}, response ${result.responseMessageId}`);
console.log(`${MessageStatus[result.response!.status]}: ${result.response!.content}`);
process.exit(result.response!.status === MessageStatus.COMPLETE ? 0 : 1);
