import {
  AppendContentResponseSchema,
  CreateMessageResponseSchema,
  SetStatusResponseSchema,
} from "../../../gen/claude_comms/v1/message_service_pb.js";
import { textOrStdin } from "../args.js";
import { UNARY_TIMEOUT_MS, type CommandContext } from "../context.js";
import { parseStatus, statusName } from "../status.js";
import { createMessageClient } from "../../client/message-client.js";

interface CreateOptions {
  thread: string;
  id?: string;
  module?: string;
  type?: string;
  status?: string;
  content?: string;
}

/** `message create --thread T …`: creates a message (and its thread) and prints its id. */
export async function create(ctx: CommandContext, opts: CreateOptions): Promise<number> {
  const messages = createMessageClient(ctx);
  const response = await messages.createMessage(
    {
      threadId: opts.thread,
      messageId: opts.id,
      module: opts.module,
      type: opts.type,
      status: opts.status === undefined ? undefined : parseStatus(opts.status),
      content: opts.content,
    },
    { timeoutMs: UNARY_TIMEOUT_MS },
  );
  if (ctx.globals.json) ctx.json(CreateMessageResponseSchema, response);
  else ctx.out(response.message?.messageId ?? "");
  return 0;
}

/** `message append ID TEXT`: appends TEXT (stdin for `-`) and prints the new content length. */
export async function append(ctx: CommandContext, _opts: object, id: string, text: string): Promise<number> {
  const content = await textOrStdin(text);
  const messages = createMessageClient(ctx);
  const response = await messages.appendContent({ messageId: id, content }, { timeoutMs: UNARY_TIMEOUT_MS });
  if (ctx.globals.json) ctx.json(AppendContentResponseSchema, response);
  else ctx.out(`${id}: ${response.contentLength} bytes`);
  return 0;
}

interface SetStatusOptions {
  error?: string;
}

/** `message set-status ID STATUS [--error E]`: moves a message to a new status. */
export async function setStatus(ctx: CommandContext, opts: SetStatusOptions, id: string, status: string): Promise<number> {
  const messages = createMessageClient(ctx);
  const response = await messages.setStatus(
    { messageId: id, status: parseStatus(status), error: opts.error },
    { timeoutMs: UNARY_TIMEOUT_MS },
  );
  if (ctx.globals.json) ctx.json(SetStatusResponseSchema, response);
  else ctx.out(`${id}: ${response.message ? statusName(response.message.status) : status}`);
  return 0;
}
