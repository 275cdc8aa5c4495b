import { getMessage } from "../store/messages.js";
import { isTerminalEvent, type MessageRecord } from "../store/records.js";
import { isTerminal } from "../store/status.js";
import type { ServiceContext } from "./context.js";

/**
 * Resolves with the message once it is terminal, or after `timeoutMs` (null: no limit but
 * the call's own) with its current state. Subscribes before it reads, so a completion that
 * lands in between is never missed.
 */
export async function waitForFinish(
  ctx: ServiceContext,
  messageId: string,
  timeoutMs: number | null,
  signal: AbortSignal,
): Promise<MessageRecord> {
  const sub = ctx.hub.subscribe({ messageId });
  try {
    const deadline = timeoutMs === null ? Infinity : performance.now() + timeoutMs;
    const message = await getMessage(ctx.store.reader, messageId);
    if (isTerminal(message.status)) return message;
    for (;;) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) break;
      const batch = await sub.take(Math.min(remaining, 60_000), signal);
      if (batch.some(isTerminalEvent)) break;
    }
    // One read for the final state: terminal, or current at the timeout.
    return await getMessage(ctx.store.reader, messageId);
  } finally {
    sub.close();
  }
}
