/**
 * One of the poller's duties besides tailing the log (progress sampling, deadlines and
 * retention, compaction). The scheduler asks each whether a tick may be skipped and when it
 * wants the next one, and runs it on every tick that is not skipped.
 */
export interface Duty {
  /** Whether it has work at `now` even though the store did not change. */
  isDue(now: number): boolean;
  /** When it wants a tick sooner than the interval (monotonic ms), or Infinity. */
  wakeAt(): number;
  /** Does its work; returns how many rows it wrote (the tick then publishes their events). */
  run(now: number): Promise<number>;
}
