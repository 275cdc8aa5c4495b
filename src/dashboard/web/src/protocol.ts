/*
 * Messages between the SharedWorker (which holds the browser's one WatchMessages stream)
 * and the page's tabs. Events travel as protobuf binary: exact (64-bit seqs) and cheap.
 */

/** The state of the shared stream. */
export type StreamState = "connecting" | "live" | "reconnecting" | "signed-out";

/** Worker → tab. */
export type FromWorker =
  | { type: "state"; state: StreamState; detail: string }
  /** One event of the log (protobuf binary of claude_comms.v1.Event). */
  | { type: "event"; bytes: Uint8Array }
  /** The stream is up to `seq` and idle (a heartbeat): a moment to refresh slow figures. */
  | { type: "idle"; seq: string }
  /** Events could not be resumed (compacted, or the daemon's log restarted): reload what is shown. */
  | { type: "reset" }
  /** Events per minute over the last minutes the worker has seen, oldest first, and the minute of the last. */
  | ({ type: "rate" } & Rate);

/** Tab → worker. */
export type ToWorker = { type: "bye" };

/** Minutes of events per minute the worker keeps. */
export const RATE_MINUTES = 30;

/** Events per minute over the last {@link RATE_MINUTES} minutes; the last entry is `minute`. */
export interface Rate {
  perMinute: number[];
  /** Minutes since the epoch of the last entry. */
  minute: number;
}

/** A window of zeros ending now. */
export function emptyRate(): Rate {
  return { perMinute: new Array<number>(RATE_MINUTES).fill(0), minute: currentMinute() };
}

/**
 * Counts `n` events at time `atMs` (default now): the window first moves on to the current
 * minute; an event older than the window is not counted.
 */
export function countInRate(rate: Rate, n = 1, atMs = Date.now()): void {
  const now = currentMinute();
  const shift = Math.min(RATE_MINUTES, now - rate.minute);
  if (shift > 0) rate.perMinute = [...rate.perMinute.slice(shift), ...new Array<number>(shift).fill(0)];
  rate.minute = Math.max(rate.minute, now);
  const index = RATE_MINUTES - 1 - (rate.minute - Math.floor(atMs / 60_000));
  if (index >= 0 && index < RATE_MINUTES) rate.perMinute[index]! += n;
}

function currentMinute(): number {
  return Math.floor(Date.now() / 60_000);
}
