import { EventKind, type Event, type Message } from "../../../gen/claude_comms/v1/message_pb.js";
import { ShowMessageResponseSchema } from "../../../gen/claude_comms/v1/polling_service_pb.js";
import { UNARY_TIMEOUT_MS, type CommandContext } from "../context.js";
import { formatTime, renderFields, renderTable } from "../format.js";
import { eventKindName, statusName } from "../status.js";
import { createPollingClient } from "../../client/polling-client.js";

interface ShowOptions {
  content?: boolean;
}

/** `poll show ID [--content]`: the message's fields, its history, and optionally its content. */
export async function run(ctx: CommandContext, opts: ShowOptions, id: string): Promise<number> {
  const polling = createPollingClient(ctx);
  const response = await polling.showMessage(
    { messageId: id, includeContent: opts.content === true },
    { timeoutMs: UNARY_TIMEOUT_MS },
  );
  if (ctx.globals.json) {
    ctx.json(ShowMessageResponseSchema, response);
    return 0;
  }
  const message = response.message;
  if (message) ctx.out(renderFields(messageFields(message)));
  ctx.out("");
  if (response.history.length === 0) ctx.out("no history");
  else ctx.out(renderTable(["SEQ", "TIME", "KIND", "FROM→TO", "LENGTH", "DETAIL"], response.history.map(historyRow)));
  if (opts.content && message) {
    ctx.out("");
    process.stdout.write(message.content.endsWith("\n") || message.content === "" ? message.content : message.content + "\n");
  }
  return 0;
}

/** The fields of a message as `poll show` prints them. */
function messageFields(m: Message): [string, string | undefined][] {
  const monitor = m.monitor;
  const labels = monitor ? Object.entries(monitor.labels).map(([k, v]) => `${k}=${v}`).join(", ") : "";
  const metadata = m.metadata && Object.keys(m.metadata).length > 0 ? JSON.stringify(m.metadata) : undefined;
  return [
    ["id", m.messageId],
    ["thread", m.threadId],
    ["module", m.module || "-"],
    ["type", m.type || "-"],
    ["status", statusName(m.status)],
    ["length", `${m.contentLength} bytes`],
    ["error", m.error || undefined],
    ["created", formatTime(m.createTime)],
    ["updated", formatTime(m.updateTime)],
    ["completed", m.completeTime ? formatTime(m.completeTime) : undefined],
    ["monitored", monitor ? `since ${formatTime(monitor.registerTime)}` : "no"],
    ["deadline", monitor?.deadlineTime ? formatTime(monitor.deadlineTime) : undefined],
    ["labels", labels || undefined],
    ["metadata", metadata],
  ];
}

function historyRow(e: Event): string[] {
  const transition =
    e.kind === EventKind.STATUS_CHANGED ? `${statusName(e.fromStatus)}→${statusName(e.toStatus)}` : statusName(e.toStatus);
  return [String(e.seq), formatTime(e.time), eventKindName(e.kind), transition, String(e.contentLength), e.detail || ""];
}
