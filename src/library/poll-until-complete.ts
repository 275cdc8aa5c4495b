import { Code, ConnectError } from "@connectrpc/connect";
import { EventKind, MessageStatus, type Event, type Message } from "../../gen/claude_comms/v1/message_pb.js";
import { isFinishedStatus } from "../client/message-status.js";
import { createPollingClient, type PollingClient } from "../client/polling-client.js";
import type { ClientOptions } from "../client/transport.js";

/** Options of {@link pollMessageUntilComplete}. */
export type PollOptions = ClientOptions & {
  /** Thread of the message; when given it must match (as in the original tool). */
  threadId?: string;
  messageId: string;
  /** Give up after this many seconds (the message keeps going); default: no limit. */
  timeout?: number;
  /** Called with every event: the snapshot, status changes and progress. */
  onProgress?: (event: Event) => void;
  /** Reuse a client instead of making one from the options. */
  client?: PollingClient;
  signal?: AbortSignal;
};

/** How the message ended, or that the timeout came first. */
export interface PollResult {
  message: Message;
  finished: boolean;
  /** Convenience: the final status. */
  status: MessageStatus;
}

/**
 * The original tool's `poll_message_until_complete(thread_id, message_id, timeout,
 * print_progress)`, over WatchMessage: no polling, no missed transition. Resumes after a
 * daemon restart or a dropped connection (after_seq), and resolves with the message once
 * it is terminal, or at the timeout with `finished: false`.
 */
export async function pollMessageUntilComplete(options: PollOptions): Promise<PollResult> {
  const client = options.client ?? createPollingClient(options);
  const deadline = options.timeout === undefined ? Infinity : Date.now() + options.timeout * 1000;
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const timer = Number.isFinite(deadline) ? setTimeout(() => controller.abort("timeout"), deadline - Date.now()) : undefined;
  try {
    if (options.threadId) await checkThread(client, options.messageId, options.threadId);
    await follow(client, options, controller.signal);
  } catch (err) {
    if (!controller.signal.aborted || controller.signal.reason !== "timeout") throw err;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  }
  const { message } = await client.showMessage({ messageId: options.messageId });
  const status = message?.status ?? MessageStatus.UNSPECIFIED;
  return { message: message!, status, finished: isFinishedStatus(status) };
}

async function checkThread(client: PollingClient, messageId: string, threadId: string): Promise<void> {
  const { message } = await client.showMessage({ messageId });
  if (message && message.threadId !== threadId) {
    throw new ConnectError(`message "${messageId}" belongs to thread "${message.threadId}", not "${threadId}"`, Code.InvalidArgument);
  }
}

async function follow(client: PollingClient, options: PollOptions, signal: AbortSignal): Promise<void> {
  let afterSeq: bigint | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      for await (const { event } of client.watchMessage({ messageId: options.messageId, afterSeq }, { signal })) {
        if (!event) continue;
        if (event.kind !== EventKind.HEARTBEAT) options.onProgress?.(event);
        if (event.seq > 0n) afterSeq = event.seq;
      }
      return; // the stream ends OK after the terminal event
    } catch (err) {
      const code = ConnectError.from(err).code;
      const retryable = code === Code.Unavailable || code === Code.ResourceExhausted;
      if (signal.aborted || !retryable || attempt >= 60) throw err;
      await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 100 * 2 ** Math.min(attempt, 4))));
    }
  }
}
