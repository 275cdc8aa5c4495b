import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { EventKind, MessageSchema, type Event } from "../../../gen/claude_comms/v1/message_pb.js";
import { AskModuleResponseSchema } from "../../../gen/claude_comms/v1/module_service_pb.js";
import { durationOption, textOrStdin } from "../args.js";
import { UNARY_TIMEOUT_MS, type CommandContext } from "../context.js";
import { CliError, usageError } from "../errors.js";
import { reconnectNotice } from "../follow-notice.js";
import { renderFields } from "../format.js";
import { exitCodeOfStatus, statusName } from "../status.js";
import { followMessage } from "../../client/follow.js";
import { createPollingClient } from "../../client/polling-client.js";
import { createModuleClient } from "../../client/module-client.js";

interface AskOptions {
  from: string;
  to: string;
  thread?: string;
  newSession?: boolean;
  timeout?: string;
  wait?: boolean;
}

/**
 * `ask --from A --to B QUESTION…`: asks a module; prints the thread, question and response
 * ids. With --wait the ids go to stderr, the answer streams to stdout as it is written, and
 * the exit code is that of the response's final status. With --json --wait: the ask
 * response, then the final response message (with its content), one JSON line each.
 */
export async function run(ctx: CommandContext, opts: AskOptions, words: string[]): Promise<number> {
  const modules = createModuleClient(ctx);
  const question = words.length === 1 ? await textOrStdin(words[0] ?? "") : words.join(" ");
  if (!question.trim()) throw usageError("the question is empty");
  const timeoutMs = opts.timeout === undefined ? undefined : durationOption(opts.timeout, "--timeout");
  const response = await modules.askModule(
    {
      fromModule: opts.from,
      toModule: opts.to,
      question,
      threadId: opts.thread,
      newSession: opts.newSession ?? false,
      timeout: timeoutMs ? durationFromMs(timeoutMs) : undefined,
    },
    { timeoutMs: UNARY_TIMEOUT_MS },
  );
  const ids = renderFields([
    ["thread", response.threadId],
    ["question", response.questionMessageId],
    ["response", response.responseMessageId],
  ]);
  if (ctx.globals.json) ctx.json(AskModuleResponseSchema, response);
  else if (opts.wait) process.stderr.write(ids + "\n");
  else ctx.out(ids);
  return opts.wait ? streamAnswer(ctx, response.responseMessageId) : 0;
}

// Kinds after which the response may have new text.
const CONTENT_EVENTS = new Set([EventKind.SNAPSHOT, EventKind.PROGRESS, EventKind.STATUS_CHANGED]);

async function streamAnswer(ctx: CommandContext, id: string): Promise<number> {
  const polling = createPollingClient(ctx);
  let printed = 0n;
  let endsWithNewline = true;
  const fetchNew = async () => {
    const { message } = await polling.showMessage(
      { messageId: id, includeContent: true, contentOffset: printed },
      { timeoutMs: UNARY_TIMEOUT_MS },
    );
    if (message?.content) {
      process.stdout.write(message.content);
      printed += BigInt(Buffer.byteLength(message.content));
      endsWithNewline = message.content.endsWith("\n");
    }
  };
  const onEvent = async (event: Event, state: { contentLength: bigint }) => {
    if (!ctx.globals.json && CONTENT_EVENTS.has(event.kind) && state.contentLength > printed) await fetchNew();
  };
  await followMessage(polling, id, onEvent, { onReconnect: reconnectNotice(ctx, false) });
  const { message } = await polling.showMessage({ messageId: id, includeContent: true }, { timeoutMs: UNARY_TIMEOUT_MS });
  if (!message) throw new CliError(`response ${id} vanished`);
  if (ctx.globals.json) {
    ctx.json(MessageSchema, message);
  } else {
    const tail = Buffer.from(message.content, "utf8").subarray(Number(printed)).toString("utf8");
    if (tail) {
      process.stdout.write(tail);
      endsWithNewline = tail.endsWith("\n");
    }
    if (!endsWithNewline) process.stdout.write("\n");
  }
  const code = exitCodeOfStatus(message.status);
  if (code === undefined) throw new CliError(`watch of response ${id} ended while it was ${statusName(message.status)}`);
  if (code !== 0) throw new CliError(`response ${id} ${statusName(message.status)}${message.error ? `: ${message.error}` : ""}`, code);
  return code;
}
