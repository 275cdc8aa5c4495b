import type { EventRecord } from "../store/records.js";

/** Slots in the first chunk; each later chunk is 4× the one before, up to CHUNK_MAX. */
const CHUNK_MIN = 16;
const CHUNK_MAX = 1024;

/**
 * A FIFO of events in fixed-size chunks: pushing never copies what is queued (an array
 * grown by push copies itself as it grows and keeps up to half its slots empty), and taking
 * from the front is O(1). A queue of n events holds about n slots, so 500 watchers that
 * stopped reading, each 10,000 events behind, cost 8 bytes per event and watcher. An empty
 * queue keeps one small chunk for the next event.
 */
export class EventQueue {
  private chunks: EventRecord[][] = [];
  /** Next slot to take in chunks[0]. */
  private head = 0;
  /** Next free slot in the last chunk. */
  private tail = 0;
  size = 0;

  push(event: EventRecord): void {
    let last = this.chunks[this.chunks.length - 1];
    if (!last || this.tail === last.length) {
      last = new Array<EventRecord>(last ? Math.min(CHUNK_MAX, last.length * 4) : CHUNK_MIN);
      this.chunks.push(last);
      this.tail = 0;
    }
    last[this.tail++] = event;
    this.size++;
  }

  /** The oldest event, removed; undefined when empty. */
  shift(): EventRecord | undefined {
    if (!this.size) return undefined;
    const first = this.chunks[0]!;
    const event = first[this.head]!;
    first[this.head++] = undefined as unknown as EventRecord;
    this.size--;
    if (!this.size) this.reset();
    else if (this.head === first.length) (this.chunks.shift(), (this.head = 0));
    return event;
  }

  /** Every queued event in order, removed. */
  drain(): EventRecord[] {
    const all = new Array<EventRecord>(this.size);
    for (let i = 0; i < all.length; i++) all[i] = this.shift()!;
    return all;
  }

  /** Empties the queue, keeping its first chunk only when it is the small one. */
  clear(): void {
    if (this.size) this.chunks = [];
    this.size = 0;
    this.reset();
  }

  private reset(): void {
    const first = this.chunks[0];
    // Taken slots were cleared as they were taken, so a lone small chunk is clean for reuse.
    this.chunks = first && first.length === CHUNK_MIN && this.chunks.length === 1 ? [first] : [];
    this.head = 0;
    this.tail = 0;
  }
}
