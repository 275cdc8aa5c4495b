import { create } from "@bufbuild/protobuf";
import type { Message, MessageStatus } from "../../../gen/claude_comms/v1/message_pb.js";
import { ListMessagesResponseSchema } from "../../../gen/claude_comms/v1/polling_service_pb.js";
import { integerOption } from "../args.js";
import { UNARY_TIMEOUT_MS, type CommandContext } from "../context.js";
import { usageError } from "../errors.js";
import { formatTime, renderTable } from "../format.js";
import { listAllMessages, type ListRequest } from "../list-all.js";
import { activeStatuses, parseStatus, statusName } from "../status.js";
import { createPollingClient, type PollingClient } from "../../client/polling-client.js";

/** Rows of the table when --limit is not given. */
export const DEFAULT_LIMIT = 100;

interface ListOptions {
  status: string[];
  active?: boolean;
  thread?: string;
  module?: string;
  all?: boolean;
  limit?: string;
  pageSize?: string;
  pageToken?: string;
}

/**
 * `poll list`: monitored messages (every message with --all), filtered. The table shows the
 * first --limit rows (100; 0 for all) and says how many more there are; --json prints every
 * row unless --limit is given. --page-size asks for one page (then --json includes its
 * next_page_token).
 */
export async function run(ctx: CommandContext, opts: ListOptions): Promise<number> {
  const statuses = statusesOf(opts);
  const page = pageOf(opts, statuses);
  const limit = opts.limit === undefined ? (ctx.globals.json ? 0 : DEFAULT_LIMIT) : integerOption(opts.limit, "--limit");
  const request: ListRequest = {
    status: statuses.length === 1 ? statuses[0] : undefined,
    threadId: opts.thread,
    module: opts.module,
    all: opts.all === true,
    pageSize: page?.size ?? 0,
    pageToken: page?.token,
  };
  const polling = createPollingClient(ctx);
  const response = page ? await polling.listMessages(request, { timeoutMs: UNARY_TIMEOUT_MS }) : await listAllMessages(polling, request);
  // Several statuses: the daemon filters by one, so the rest is filtered here.
  const matching = statuses.length > 1 ? response.messages.filter((m) => statuses.includes(m.status)) : response.messages;
  const shown = limit > 0 ? matching.slice(0, limit) : matching;
  if (ctx.globals.json) {
    ctx.json(ListMessagesResponseSchema, create(ListMessagesResponseSchema, { messages: shown, nextPageToken: response.nextPageToken }));
    return 0;
  }
  if (shown.length === 0) ctx.out(await emptyText(polling, opts, statuses.length > 0));
  else ctx.out(renderTable(["ID", "THREAD", "MODULE", "STATUS", "LENGTH", "UPDATED", "DEADLINE"], shown.map(row)));
  if (matching.length > shown.length) ctx.out(moreText(matching.length, shown.length));
  if (page && response.nextPageToken) ctx.out(`next page: --page-token ${response.nextPageToken}`);
  return 0;
}

function statusesOf(opts: ListOptions): MessageStatus[] {
  if (opts.active && opts.status.length) throw usageError("--active and --status contradict each other: --active is --status pending --status processing");
  return opts.active ? activeStatuses() : [...new Set(opts.status.map(parseStatus))];
}

function pageOf(opts: ListOptions, statuses: MessageStatus[]): { size: number; token?: string } | undefined {
  if (opts.pageToken !== undefined && opts.pageSize === undefined) throw usageError("--page-token needs --page-size");
  if (opts.pageSize === undefined) return undefined;
  if (opts.limit !== undefined) throw usageError("--limit and --page-size contradict each other: use one");
  if (statuses.length > 1) throw usageError("--page-size pages by one status at most: drop --active or all but one --status");
  return { size: integerOption(opts.pageSize, "--page-size", 1, 1000), token: opts.pageToken };
}

// "Nothing is monitored" only when that is so; a filter that matches nothing says that instead.
async function emptyText(polling: PollingClient, opts: ListOptions, byStatus: boolean): Promise<string> {
  const filtered = byStatus || Boolean(opts.thread || opts.module);
  if (opts.all) return filtered ? "no messages match" : "no messages";
  if (filtered) {
    const { monitored } = await polling.getDaemonStatus({}, { timeoutMs: UNARY_TIMEOUT_MS });
    if (monitored > 0n) return "no messages match (add --all to search every stored message)";
  }
  return "no monitored messages (list every message with --all)";
}

function moreText(total: number, shown: number): string {
  const n = (x: number) => x.toLocaleString("en-US");
  return `… ${n(total - shown)} more (${n(total)} in all): --limit N to show N, --limit 0 for every row`;
}

function row(m: Message): string[] {
  return [
    m.messageId,
    m.threadId,
    m.module || "-",
    statusName(m.status),
    String(m.contentLength),
    formatTime(m.updateTime),
    formatTime(m.monitor?.deadlineTime),
  ];
}
