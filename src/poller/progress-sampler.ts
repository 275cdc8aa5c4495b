import type { Store } from "../store/open-store.js";
import { grownSinceLastEvent, hasContentChanges, sampleProgress, writeProgress } from "../store/progress.js";
import type { Duty } from "./duty.js";
import type { MonitorTable } from "./monitor-table.js";

/**
 * Progress is sampled at most this often (or every interval, if shorter). An agent streams
 * its answer in many small appends; sampling each burst apart would cost a write per
 * burst to say what the next sample says anyway. Status changes are never held back.
 */
export const PROGRESS_GAP_MS = 20;

/**
 * A sampler held back to one sample per gap (PROGRESS_GAP_MS, or the interval if shorter).
 * A sample held back is pending: the tick may not be skipped, and one is wanted when the
 * gap ends.
 */
abstract class GatedSampler implements Duty {
  private readonly gapMs: number;
  private next = 0;
  private pending = false;

  constructor(intervalMs: number) {
    this.gapMs = Math.min(PROGRESS_GAP_MS, intervalMs);
  }

  isDue(): boolean {
    return this.pending;
  }

  wakeAt(): number {
    return this.pending ? this.next : Infinity;
  }

  abstract run(now: number): Promise<number>;

  /** Whether a sample may run at `now`; when not, it is marked pending. */
  protected open(now: number): boolean {
    this.pending = now < this.next;
    return !this.pending;
  }

  /** A sample ran at `now`. */
  protected used(now: number): void {
    this.next = now + this.gapMs;
  }
}

/**
 * Turns the content-change markers of monitored messages into PROGRESS events (at most one
 * per message per sample). A singleton duty: only the leader runs it.
 */
export class MonitoredSampler extends GatedSampler {
  constructor(
    private readonly store: Store,
    private readonly table: MonitorTable,
    intervalMs: number,
  ) {
    super(intervalMs);
  }

  async run(now: number): Promise<number> {
    if (!this.open(now) || !(await hasContentChanges(this.store.reader))) return 0;
    this.used(now);
    return this.store.write((trx) => sampleProgress(trx, (id) => this.table.activeLength(id)), { notify: false });
  }
}

/**
 * Samples the messages someone watches (WatchMessage) that nobody registered: they have no
 * content-change markers, so their length is compared with the one their newest event
 * recorded. Watching a message is enough to see it grow. Every daemon runs it for its own
 * watchers (a follower's watchers are unknown to the leader).
 */
export class WatchedSampler extends GatedSampler {
  constructor(
    private readonly store: Store,
    private readonly table: MonitorTable,
    private readonly watchedIds: () => Iterable<string>,
    intervalMs: number,
  ) {
    super(intervalMs);
  }

  async run(now: number): Promise<number> {
    // Active monitored messages are the markers' business.
    const ids = [...this.watchedIds()].filter((id) => this.table.activeLength(id) === undefined);
    if (!ids.length || !this.open(now)) return 0;
    const grown = await grownSinceLastEvent(this.store.reader, ids);
    if (!grown.length) return 0;
    this.used(now);
    return this.store.write((trx) => writeProgress(trx, grown), { notify: false });
  }
}
