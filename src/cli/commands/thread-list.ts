import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { Message } from "../../../gen/claude_comms/v1/message_pb.js";
import { createPollingClient } from "../../client/polling-client.js";
import { integerOption } from "../args.js";
import type { CommandContext } from "../context.js";
import { formatTime, renderTable } from "../format.js";
import { listAllMessages } from "../list-all.js";
import { statusName } from "../status.js";
import { DEFAULT_LIMIT } from "./poll-list.js";

interface ThreadListOptions {
  module?: string;
  limit?: string;
}

/** One thread as `thread list` shows it. */
interface ThreadRow {
  threadId: string;
  messages: number;
  modules: string[];
  /** The newest message's status. */
  last: Message;
}

/**
 * `thread list [--module M] [--limit N]`: the threads that hold messages, newest activity
 * first: message count, modules, the status of the last message. With --json one object per
 * thread. Made from the stored messages (ListMessages --all), so a thread without messages
 * is not listed.
 */
export async function run(ctx: CommandContext, opts: ThreadListOptions): Promise<number> {
  const limit = opts.limit === undefined ? (ctx.globals.json ? 0 : DEFAULT_LIMIT) : integerOption(opts.limit, "--limit");
  const { messages } = await listAllMessages(createPollingClient(ctx), { all: true, module: opts.module });
  const threads = group(messages);
  const shown = limit > 0 ? threads.slice(0, limit) : threads;
  if (ctx.globals.json) {
    for (const t of shown) ctx.out(JSON.stringify({ threadId: t.threadId, messages: t.messages, modules: t.modules, lastStatus: statusName(t.last.status), lastMessageId: t.last.messageId, updateTime: t.last.updateTime ? timestampDate(t.last.updateTime).toISOString() : null }));
    return 0;
  }
  if (shown.length === 0) ctx.out(opts.module ? "no threads match" : "no threads");
  else ctx.out(renderTable(["THREAD", "MESSAGES", "MODULES", "LAST STATUS", "UPDATED"], shown.map(row)));
  if (threads.length > shown.length) {
    const n = (x: number) => x.toLocaleString("en-US");
    ctx.out(`… ${n(threads.length - shown.length)} more (${n(threads.length)} in all): --limit N to show N, --limit 0 for every row`);
  }
  return 0;
}

function group(messages: Message[]): ThreadRow[] {
  const threads = new Map<string, ThreadRow>();
  for (const m of messages) {
    const t = threads.get(m.threadId) ?? { threadId: m.threadId, messages: 0, modules: [], last: m };
    t.messages++;
    if (m.module && !t.modules.includes(m.module)) t.modules.push(m.module);
    if (seconds(m) >= seconds(t.last)) t.last = m;
    threads.set(m.threadId, t);
  }
  return [...threads.values()].sort((a, b) => seconds(b.last) - seconds(a.last));
}

function seconds(m: Message): number {
  const time = m.updateTime ?? m.createTime;
  return time ? Number(time.seconds) + time.nanos / 1e9 : 0;
}

function row(t: ThreadRow): string[] {
  return [t.threadId, String(t.messages), t.modules.join(",") || "-", statusName(t.last.status), formatTime(t.last.updateTime)];
}
