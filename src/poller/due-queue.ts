/**
 * A min-heap of (due time, id) with lazy deletion: entries are never removed, the owner
 * checks on pop whether an entry still applies. Lets the poller find due deadlines and
 * expiries among 100,000 monitors without scanning them every tick.
 */
export class DueQueue {
  private readonly heap: Array<{ due: number; id: string }> = [];

  /** Number of entries, stale ones included. */
  get size(): number {
    return this.heap.length;
  }

  /** The earliest due time, or Infinity. */
  peek(): number {
    return this.heap[0]?.due ?? Infinity;
  }

  /** Adds an entry. */
  push(due: number, id: string): void {
    const heap = this.heap;
    heap.push({ due, id });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.due <= heap[i]!.due) break;
      [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
      i = parent;
    }
  }

  /** Removes and returns every entry due at or before `now`. */
  popDue(now: number): Array<{ due: number; id: string }> {
    const out: Array<{ due: number; id: string }> = [];
    while (this.heap.length && this.heap[0]!.due <= now) out.push(this.pop());
    return out;
  }

  private pop(): { due: number; id: string } {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && heap[l]!.due < heap[m]!.due) m = l;
        if (r < heap.length && heap[r]!.due < heap[m]!.due) m = r;
        if (m === i) break;
        [heap[m], heap[i]] = [heap[i]!, heap[m]!];
        i = m;
      }
    }
    return top;
  }
}
