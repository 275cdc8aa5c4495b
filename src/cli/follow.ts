import { Code, ConnectError } from "@connectrpc/connect";
import { EventKind, MessageStatus, type Event } from "../../gen/claude_comms/v1/message_pb.js";
import type { PollingClient } from "../client/polling-client.js";
import { isTerminal } from "./status.js";

/** Where a followed message stands after an event. */
export interface FollowState {
  status: MessageStatus;
  contentLength: bigint;
  seq: bigint;
}

/**
 * Follows a message with WatchMessage until the stream ends, calling `onEvent` for each
 * event in order, and returns the last state seen. When the daemon ends the stream with
 * RESOURCE_EXHAUSTED (this watcher fell behind), it resumes after the last seq it got.
 */
export async function followMessage(
  polling: PollingClient,
  messageId: string,
  onEvent: (event: Event, state: FollowState) => void | Promise<void>,
  afterSeq?: bigint,
): Promise<FollowState> {
  const state: FollowState = { status: MessageStatus.UNSPECIFIED, contentLength: 0n, seq: afterSeq ?? 0n };
  let resumeAfter = afterSeq;
  for (;;) {
    try {
      for await (const { event } of polling.watchMessage({ messageId, afterSeq: resumeAfter })) {
        if (!event) continue;
        advance(state, event);
        await onEvent(event, state);
      }
      return state;
    } catch (error) {
      const behind = error instanceof ConnectError && error.code === Code.ResourceExhausted;
      if (!behind || isTerminal(state.status)) throw error;
      resumeAfter = state.seq;
    }
  }
}

function advance(state: FollowState, event: Event): void {
  if (event.seq > state.seq) state.seq = event.seq;
  if (event.kind === EventKind.HEARTBEAT) return;
  const status = event.kind === EventKind.SNAPSHOT && event.message ? event.message.status : event.toStatus;
  if (status !== MessageStatus.UNSPECIFIED) state.status = status;
  state.contentLength = event.kind === EventKind.SNAPSHOT && event.message ? event.message.contentLength : event.contentLength;
}
