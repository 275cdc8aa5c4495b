/** Counters the poller keeps about its ticks. */
export class TickStats {
  ticks = 0;
  skipped = 0;
  events = 0;
  /** Wall-clock time of the last tick (ms since epoch), 0 before the first. */
  lastTickAt = 0;
  /** Duration of the last tick that did work, in ms. */
  lastTickMs = 0;
  /** Called with the duration (ms) of every tick that did work: the metrics' histogram. */
  onTick: ((ms: number) => void) | undefined;
  private readonly recent: Array<[number, number]> = [];

  /** Records a tick that was skipped because nothing changed. */
  skip(): void {
    this.ticks++;
    this.skipped++;
    this.lastTickAt = Date.now();
  }

  /** Records a tick that did work. */
  record(startedMono: number, events: number): void {
    const now = performance.now();
    this.ticks++;
    this.lastTickAt = Date.now();
    this.lastTickMs = now - startedMono;
    this.onTick?.(this.lastTickMs);
    this.addEvents(events, now);
  }

  /** Counts events published outside a tick (the drain right after a write). */
  addEvents(events: number, now = performance.now()): void {
    this.events += events;
    if (events) this.recent.push([now, events]);
    while (this.recent.length && this.recent[0]![0] < now - 60_000) this.recent.shift();
  }

  /** Events per second over the last minute. */
  eventsPerSecond(): number {
    const now = performance.now();
    const total = this.recent.reduce((sum, [at, n]) => (at >= now - 60_000 ? sum + n : sum), 0);
    return total / 60;
  }
}
