import { compactBatch } from "../store/compaction.js";
import type { Store } from "../store/open-store.js";
import type { Duty } from "./duty.js";

const COMPACT_BATCH = 500;
const COMPACT_BATCHES_PER_TICK = 20;

/**
 * Deletes events older than the history retention, in small transactions so writers are
 * never held up for long, and never beyond what has been published. Runs every quarter
 * retention (at most every minute); a backlog continues on the next tick. A singleton duty.
 */
export class Compactor implements Duty {
  private next = 0;

  constructor(
    private readonly store: Store,
    private readonly publishedSeq: () => number,
    private readonly intervalMs: number,
    private readonly retentionMs: number,
  ) {}

  isDue(now: number): boolean {
    return now >= this.next;
  }

  /** Never sooner than the interval: the regular ticks serve it. */
  wakeAt(): number {
    return Infinity;
  }

  async run(now: number): Promise<number> {
    if (now < this.next) return 0;
    this.next = now + Math.min(60_000, Math.max(this.intervalMs, this.retentionMs / 4));
    const before = (Date.now() - this.retentionMs) / 1000;
    let deleted = 0;
    for (let i = 0; i < COMPACT_BATCHES_PER_TICK; i++) {
      const cursor = this.publishedSeq();
      const n = await this.store.write((trx) => compactBatch(trx, before, cursor, COMPACT_BATCH), { notify: false });
      deleted += n;
      if (n < COMPACT_BATCH) return deleted;
    }
    this.next = now; // more to do: continue next tick
    return deleted;
  }
}
