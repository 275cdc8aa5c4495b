import { Code, ConnectError } from "@connectrpc/connect";
import { EventKind, MessageStatus, type Event, type Message } from "../../gen/claude_comms/v1/message_pb.js";
import { followMessage } from "../client/follow.js";
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
  /**
   * Seconds to keep trying to reach a daemon that went away mid-watch (stopped, restarting)
   * before giving up with its error. Default: until `timeout` when one is given, else 60.
   */
  reconnectTimeout?: number;
  /** Called with every event: the snapshot, status changes and progress. */
  onProgress?: (event: Event) => void;
  /** Reuse a client instead of making one from the options. */
  client?: PollingClient;
  signal?: AbortSignal;
};

/** How the message ended, or that the timeout came first. */
export interface PollResult {
  /** The message as it is when the poll ends, with its content. */
  message: Message;
  finished: boolean;
  /** Convenience: the final status. */
  status: MessageStatus;
  /** Convenience: the message's content (the answer, for a response). */
  content: string;
}

/**
 * The original tool's `poll_message_until_complete(thread_id, message_id, timeout,
 * print_progress)`, over WatchMessage: no polling, no missed transition. Follows the message
 * across daemon restarts and dropped connections (resuming after the last seq it saw), and
 * resolves with the message and its content once it is terminal, or at the timeout with
 * `finished: false`.
 */
export async function pollMessageUntilComplete(options: PollOptions): Promise<PollResult> {
  const client = options.client ?? createPollingClient(options);
  const timeoutMs = options.timeout === undefined ? undefined : Math.max(0, options.timeout * 1000);
  const signals = [options.signal, timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs)];
  const signal = AbortSignal.any(signals.filter((s): s is AbortSignal => s !== undefined));
  if (options.threadId) await checkThread(client, options.messageId, options.threadId);
  const onEvent = (event: Event) => {
    if (event.kind !== EventKind.HEARTBEAT) options.onProgress?.(event);
  };
  const reconnectWindowMs = options.reconnectTimeout === undefined ? timeoutMs : options.reconnectTimeout * 1000;
  try {
    await followMessage(client, options.messageId, onEvent, { signal, reconnectWindowMs });
  } catch (err) {
    // Our own timeout ends the poll with the message as it stands; anything else is the caller's.
    if (options.signal?.aborted || !signal.aborted) throw err;
  }
  const { message } = await client.showMessage({ messageId: options.messageId, includeContent: true });
  if (!message) throw new ConnectError(`message "${options.messageId}" not found`, Code.NotFound);
  return { message, status: message.status, finished: isFinishedStatus(message.status), content: message.content };
}

async function checkThread(client: PollingClient, messageId: string, threadId: string): Promise<void> {
  const { message } = await client.showMessage({ messageId });
  if (message && message.threadId !== threadId) {
    throw new ConnectError(`message "${messageId}" belongs to thread "${message.threadId}", not "${threadId}"`, Code.InvalidArgument);
  }
}
