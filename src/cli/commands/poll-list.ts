import { create, type MessageInitShape } from "@bufbuild/protobuf";
import type { Message } from "../../../gen/claude_comms/v1/message_pb.js";
import {
  ListMessagesResponseSchema,
  type ListMessagesRequestSchema,
} from "../../../gen/claude_comms/v1/polling_service_pb.js";
import { integerOption } from "../args.js";
import { UNARY_TIMEOUT_MS, type CommandContext } from "../context.js";
import { usageError } from "../errors.js";
import { formatTime, renderTable } from "../format.js";
import { parseStatus, statusName } from "../status.js";
import { createPollingClient, type PollingClient } from "../../client/polling-client.js";

type ListRequest = MessageInitShape<typeof ListMessagesRequestSchema>;

interface ListOptions {
  status?: string;
  thread?: string;
  module?: string;
  all?: boolean;
  pageSize?: string;
  pageToken?: string;
}

/**
 * `poll list`: monitored messages (every message with --all), filtered. Follows every page
 * unless --page-size asks for one page (then --json includes its next_page_token).
 */
export async function run(ctx: CommandContext, opts: ListOptions): Promise<number> {
  if (opts.pageToken !== undefined && opts.pageSize === undefined) {
    throw usageError("--page-token needs --page-size");
  }
  const request: ListRequest = {
    status: opts.status === undefined ? undefined : parseStatus(opts.status),
    threadId: opts.thread,
    module: opts.module,
    all: opts.all === true,
    pageSize: opts.pageSize === undefined ? 0 : integerOption(opts.pageSize, "--page-size", 1, 1000),
    pageToken: opts.pageToken,
  };
  const page = opts.pageSize !== undefined;
  const polling = createPollingClient(ctx);
  const response = page ? await polling.listMessages(request, { timeoutMs: UNARY_TIMEOUT_MS }) : await listAll(polling, request);
  if (ctx.globals.json) {
    ctx.json(ListMessagesResponseSchema, response);
    return 0;
  }
  if (response.messages.length === 0) {
    ctx.out(opts.all ? "no messages" : "no monitored messages (list every message with --all)");
  } else {
    ctx.out(renderTable(["ID", "THREAD", "MODULE", "STATUS", "LENGTH", "UPDATED", "DEADLINE"], response.messages.map(row)));
  }
  if (page && response.nextPageToken) ctx.out(`next page: --page-token ${response.nextPageToken}`);
  return 0;
}

async function listAll(polling: PollingClient, request: ListRequest) {
  const messages: Message[] = [];
  let pageToken = "";
  do {
    const response = await polling.listMessages({ ...request, pageToken }, { timeoutMs: UNARY_TIMEOUT_MS });
    messages.push(...response.messages);
    pageToken = response.nextPageToken;
  } while (pageToken);
  return create(ListMessagesResponseSchema, { messages });
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
