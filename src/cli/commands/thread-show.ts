import { GetThreadResponseSchema } from "../../../gen/claude_comms/v1/message_service_pb.js";
import type { Message } from "../../../gen/claude_comms/v1/message_pb.js";
import { UNARY_TIMEOUT_MS, type CommandContext } from "../context.js";
import { formatTime } from "../format.js";
import { statusName } from "../status.js";
import { createMessageClient } from "../../client/message-client.js";

/** `thread show T`: the thread's conversation in order, each message with its content. */
export async function run(ctx: CommandContext, _opts: object, threadId: string): Promise<number> {
  const messages = createMessageClient(ctx);
  const response = await messages.getThread({ threadId, includeContent: true }, { timeoutMs: UNARY_TIMEOUT_MS });
  if (ctx.globals.json) {
    ctx.json(GetThreadResponseSchema, response);
    return 0;
  }
  const thread = response.thread;
  const title = thread?.title ? ` "${thread.title}"` : "";
  const modules = thread?.modules.length ? ` (modules: ${thread.modules.join(", ")})` : "";
  ctx.out(`thread ${threadId}${title}${modules}, created ${formatTime(thread?.createTime)}`);
  if (response.messages.length === 0) ctx.out("no messages");
  for (const message of response.messages) ctx.out("\n" + renderMessage(message));
  return 0;
}

function renderMessage(m: Message): string {
  const head = [m.module || "?", m.type || "message", statusName(m.status), formatTime(m.createTime), m.messageId];
  const lines = [`── ${head.join(" · ")}`];
  if (m.content) lines.push(m.content.replace(/\n+$/, ""));
  if (m.error) lines.push(`error: ${m.error}`);
  return lines.join("\n");
}
