import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { AddMessageResponseSchema } from "../../../gen/claude_comms/v1/polling_service_pb.js";
import { durationOption, labelsOption } from "../args.js";
import { UNARY_TIMEOUT_MS, type CommandContext } from "../context.js";
import { formatTime } from "../format.js";
import { statusName } from "../status.js";
import { createPollingClient } from "../../client/polling-client.js";

interface AddOptions {
  thread?: string;
  timeout?: string;
  label: string[];
}

/** `poll add ID`: registers a message for monitoring (again: updates timeout and labels). */
export async function run(ctx: CommandContext, opts: AddOptions, id: string): Promise<number> {
  const timeoutMs = opts.timeout === undefined ? undefined : durationOption(opts.timeout, "--timeout");
  const polling = createPollingClient(ctx);
  const response = await polling.addMessage(
    {
      messageId: id,
      threadId: opts.thread,
      timeout: timeoutMs ? durationFromMs(timeoutMs) : undefined,
      labels: labelsOption(opts.label),
    },
    { timeoutMs: UNARY_TIMEOUT_MS },
  );
  if (ctx.globals.json) {
    ctx.json(AddMessageResponseSchema, response);
    return 0;
  }
  const m = response.message;
  const deadline = m?.monitor?.deadlineTime ? `, deadline ${formatTime(m.monitor.deadlineTime)}` : "";
  const what = response.created ? "monitoring" : "already monitored, updated";
  ctx.out(`${what} ${id} (${m ? statusName(m.status) : "?"}${deadline})`);
  return 0;
}
