import { Code, ConnectError } from "@connectrpc/connect";
import { EventKind, MessageStatus, type Event } from "../../gen/claude_comms/v1/message_pb.js";
import { isConnectionFailure } from "./connection-errors.js";
import { isFinishedStatus } from "./message-status.js";
import type { PollingClient } from "./polling-client.js";

/** How long a follower keeps trying to reach a daemon that went away, by default (ms). */
export const DEFAULT_RECONNECT_WINDOW_MS = 60_000;

const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 2_000;

/** Opens a watch stream from a position: after `afterSeq`, or from a snapshot when undefined. */
export type OpenEvents = (afterSeq: bigint | undefined, signal: AbortSignal) => AsyncIterable<{ event?: Event | undefined }>;

/** Options of {@link followEvents} and {@link followMessage}. */
export interface FollowOptions {
  /** Start after this seq (a replay of every later event) instead of with a snapshot. */
  afterSeq?: bigint;
  /** Stops following; the caller's deadline is an abort of this signal. */
  signal?: AbortSignal;
  /**
   * How long to keep trying to reach the daemon once it went away (stopped, restarting, socket
   * gone), in ms, counted from the first failed try. Default 60 s; bounded by `signal` too.
   */
  reconnectWindowMs?: number;
  /** Told before each wait to resume: the error that ended the stream and the delay (ms). */
  onReconnect?(error: unknown, delayMs: number): void;
}

/**
 * The client-side follow/resume loop. Reads a watch stream and hands `onEvent` every event in
 * order; when the stream breaks in a way that resuming mends (the daemon stopping or
 * restarting: UNAVAILABLE, a refused or missing socket, a reset connection; or this watcher
 * falling behind: RESOURCE_EXHAUSTED) it reopens the stream after the last seq it saw, with
 * backoff, so nothing is missed and nothing comes twice. A resume from a seq the daemon has
 * compacted away (OUT_OF_RANGE) starts again from a snapshot.
 *
 * A daemon never reached is not waited for: the first failure is thrown as it is. Returns the
 * last seq seen when the stream ends OK; throws the stream's error once resuming has failed
 * for `reconnectWindowMs`, or when `signal` aborts.
 */
export async function followEvents(
  open: OpenEvents,
  onEvent: (event: Event) => void | Promise<void>,
  options: FollowOptions = {},
): Promise<bigint | undefined> {
  const signal = options.signal ?? new AbortController().signal;
  const windowMs = options.reconnectWindowMs ?? DEFAULT_RECONNECT_WINDOW_MS;
  let afterSeq = options.afterSeq;
  let reached = false;
  let lostAt: number | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      for await (const { event } of open(afterSeq, signal)) {
        reached = true;
        lostAt = undefined;
        attempt = 0;
        if (!event) continue;
        await onEvent(event);
        if (event.seq > 0n && (afterSeq === undefined || event.seq > afterSeq)) afterSeq = event.seq;
      }
      return afterSeq;
    } catch (error) {
      if (signal.aborted || !reached) throw error;
      const code = ConnectError.from(error).code;
      if (code === Code.OutOfRange && afterSeq !== options.afterSeq) {
        afterSeq = undefined; // compacted past our position: the snapshot tells where things stand
        continue;
      }
      if (!isResumable(error)) throw error;
      lostAt ??= Date.now();
      const delay = backoffMs(attempt);
      if (Date.now() + delay - lostAt > windowMs) throw error;
      options.onReconnect?.(error, delay);
      await sleep(delay, signal);
    }
  }
}

/** True for the failures a resume mends: the daemon away or restarting, or this watcher behind. */
export function isResumable(error: unknown): boolean {
  if (isConnectionFailure(error)) return true;
  const code = ConnectError.from(error).code;
  return code === Code.Unavailable || code === Code.ResourceExhausted;
}

/** Where a followed message stands after an event. */
export interface FollowState {
  status: MessageStatus;
  contentLength: bigint;
  /** The last seq seen (events and heartbeats). */
  seq: bigint;
  /** The error of a FAILED/TIMED_OUT/CANCELLED message, once it is one; else "". */
  error: string;
}

/**
 * Follows one message with WatchMessage (through {@link followEvents}, so across daemon
 * restarts) until it is terminal, calling `onEvent` for each event in order, and returns the
 * last state seen. Throws when the daemon stays away past the reconnect window or `signal`
 * aborts; `onEvent`'s last state then says where the message stood.
 */
export async function followMessage(
  polling: PollingClient,
  messageId: string,
  onEvent: (event: Event, state: FollowState) => void | Promise<void>,
  options: FollowOptions = {},
): Promise<FollowState> {
  const state: FollowState = { status: MessageStatus.UNSPECIFIED, contentLength: 0n, seq: options.afterSeq ?? 0n, error: "" };
  const open: OpenEvents = (afterSeq, signal) => polling.watchMessage({ messageId, afterSeq }, { signal });
  try {
    await followEvents(open, (event) => (advance(state, event), onEvent(event, state)), options);
  } catch (error) {
    // The terminal event arrived and only the stream's end was lost: the message is done.
    if (!isFinishedStatus(state.status)) throw error;
  }
  return state;
}

function advance(state: FollowState, event: Event): void {
  if (event.seq > state.seq) state.seq = event.seq;
  if (event.kind === EventKind.HEARTBEAT) return;
  const snapshot = event.kind === EventKind.SNAPSHOT ? event.message : undefined;
  const status = snapshot ? snapshot.status : event.toStatus;
  if (status !== MessageStatus.UNSPECIFIED) state.status = status;
  state.contentLength = snapshot ? snapshot.contentLength : event.contentLength;
  if (snapshot) state.error = snapshot.error;
  else if (event.kind === EventKind.STATUS_CHANGED && isFinishedStatus(event.toStatus)) state.error = event.detail;
}

// 100 ms, 200, 400, … up to 2 s, each ±20% so that many clients of one daemon spread out.
function backoffMs(attempt: number): number {
  const base = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.min(attempt, 10));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
