import { createModuleClient } from "../../client/module-client.js";
import { createPollingClient } from "../../client/polling-client.js";
import { STATUS_NAMES } from "../../common/status.js";
import type { CommandContext } from "../context.js";
import type { ValueKind } from "./tree.js";

// Completion must feel instant: a daemon that does not answer this fast offers nothing.
const ASK_TIMEOUT_MS = 500;
// Message ids and threads come from one page of monitored messages.
const PAGE = 1000;

/**
 * `claude-comms __complete KIND`: the values a shell completes, one per line. Statuses are
 * known; modules, threads and message ids (of monitored messages) are asked from the daemon.
 * Prints nothing and exits 0 when the daemon is down or slow: completion never shows errors.
 */
export async function run(ctx: CommandContext, _opts: object, kind: string): Promise<number> {
  try {
    for (const value of await values(ctx, kind as ValueKind)) ctx.out(value);
  } catch {
    // Silent: a completion that fails completes nothing.
  }
  return 0;
}

async function values(ctx: CommandContext, kind: ValueKind): Promise<string[]> {
  const options = { timeoutMs: ASK_TIMEOUT_MS };
  switch (kind) {
    case "statuses":
      return [...STATUS_NAMES];
    case "modules":
      return (await createModuleClient(ctx).listModules({}, options)).modules.map((m) => m.name);
    case "messages":
    case "threads": {
      const { messages } = await createPollingClient(ctx).listMessages({ pageSize: PAGE }, options);
      const ids = messages.map((m) => (kind === "messages" ? m.messageId : m.threadId));
      return [...new Set(ids)];
    }
    default:
      return [];
  }
}
