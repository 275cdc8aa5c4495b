import { CancelMessageResponseSchema } from "../../../gen/claude_comms/v1/polling_service_pb.js";
import { UNARY_TIMEOUT_MS, type CommandContext } from "../context.js";
import { createPollingClient } from "../../client/polling-client.js";

interface CancelOptions {
  reason?: string;
}

/** `cancel ID [--reason R]`: stops the message's work and moves it to CANCELLED. */
export async function run(ctx: CommandContext, opts: CancelOptions, id: string): Promise<number> {
  const polling = createPollingClient(ctx);
  const response = await polling.cancelMessage({ messageId: id, reason: opts.reason }, { timeoutMs: UNARY_TIMEOUT_MS });
  if (ctx.globals.json) ctx.json(CancelMessageResponseSchema, response);
  else ctx.out(`cancelled ${id}`);
  return 0;
}
