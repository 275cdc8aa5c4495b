import { RemoveMessageResponseSchema } from "../../../gen/claude_comms/v1/polling_service_pb.js";
import { UNARY_TIMEOUT_MS, type CommandContext } from "../context.js";
import { statusName } from "../status.js";
import { createPollingClient } from "../../client/polling-client.js";

/** `poll remove ID`: stops monitoring a message; its work goes on (see `cancel`). */
export async function run(ctx: CommandContext, _opts: object, id: string): Promise<number> {
  const polling = createPollingClient(ctx);
  const response = await polling.removeMessage({ messageId: id }, { timeoutMs: UNARY_TIMEOUT_MS });
  if (ctx.globals.json) ctx.json(RemoveMessageResponseSchema, response);
  else ctx.out(`stopped monitoring ${id} (${response.message ? statusName(response.message.status) : "?"})`);
  return 0;
}
