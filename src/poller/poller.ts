import type { Hub } from "../hub/hub.js";
import { eventsAfter, headSeq } from "../store/events.js";
import { allMonitors, monitorDeadline } from "../store/monitors.js";
import type { Store } from "../store/open-store.js";
import type { EventRecord } from "../store/records.js";
import { AttributeCache } from "./attributes.js";
import { Compactor } from "./compactor.js";
import { Deadlines } from "./deadlines.js";
import type { Duty } from "./duty.js";
import { MonitorTable } from "./monitor-table.js";
import { MonitoredSampler, WatchedSampler } from "./progress-sampler.js";
import { TickStats } from "./tick-stats.js";

/** How the poller runs. */
export interface PollerOptions {
  /** Time between ticks when nothing wakes it, in ms. */
  intervalMs: number;
  /** How long a finished message stays monitored before it is unregistered, in ms. */
  retentionMs: number;
  /** How long events stay in the log before compaction, in ms (default 7 days). */
  historyRetentionMs?: number;
  /** Called with every error a tick meets (the poller carries on). */
  onError?: (err: unknown) => void;
  /** Called with every event published, after the hub. */
  onEvent?: (event: EventRecord) => void;
}

const TAIL_BATCH = 1000;

/**
 * The one loop of the daemon: the scheduler and the tail. It tails the event log by seq,
 * attaches each event's module and labels, publishes it to the hub, keeps the monitor
 * table current, and runs the duties: progress
 * sampling, deadlines and retention, compaction. It skips a tick cheaply when the store has
 * not changed (`PRAGMA data_version`) and nothing is due or woken. The store wakes it after
 * every committed write (its own duties' writes excepted: it publishes those itself).
 */
export class Poller {
  readonly stats = new TickStats();
  private readonly table: MonitorTable;
  private readonly attributes: AttributeCache;
  /** Run by the leader only (see Store.isLeader), so none of it happens twice. */
  private readonly singletonDuties: Duty[];
  /** Run by every daemon: they serve its own watchers. */
  private readonly localDuties: Duty[];
  private cursor = 0;
  private lastDataVersion = Number.NaN;
  private woken = true;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  /** The last drain (drains run one after another, each from the cursor the last one left). */
  private draining: Promise<unknown> = Promise.resolve();
  private drainQueued = false;
  private started = false;
  private closed = false;
  private leader = false;
  private unsubscribe: () => void = () => undefined;

  constructor(
    private readonly store: Store,
    private readonly hub: Hub,
    private readonly options: PollerOptions,
  ) {
    const { intervalMs } = options;
    this.table = new MonitorTable(options.retentionMs);
    this.attributes = new AttributeCache(this.table);
    this.singletonDuties = [
      new MonitoredSampler(store, this.table, intervalMs),
      new Deadlines(store, this.table, intervalMs),
      new Compactor(store, () => this.cursor, intervalMs, options.historyRetentionMs ?? 7 * 86_400_000),
    ];
    this.localDuties = [new WatchedSampler(store, this.table, () => hub.watchedMessageIds(), intervalMs)];
  }

  /** Messages currently monitored. */
  get monitored(): number {
    return this.table.size;
  }

  /** The newest seq published to the hub. */
  get headSeq(): number {
    return this.cursor;
  }

  /** Loads the monitors, starts at the log's head and begins ticking. Once only. */
  async start(): Promise<void> {
    if (this.started) throw new Error("Poller.start() was called twice; a poller starts once (make a new one)");
    this.started = true;
    await this.store.reader.snapshot(async (reader) => {
      this.cursor = await headSeq(reader);
      const monitors = await allMonitors(reader);
      this.table.load(monitors);
      this.attributes.remember(monitors);
    });
    this.hub.headSeq = this.cursor;
    this.unsubscribe = this.store.onChange(() => this.wake());
    this.schedule(0);
  }

  /**
   * After a write: while anyone watches, publishes what it logged at once (in a microtask,
   * not after the next timer, so a status change reaches watchers ~1 ms sooner), and runs a
   * tick as soon as possible for the rest (progress sampling, deadlines). Wakes in one
   * burst share a drain.
   */
  wake(): void {
    this.woken = true;
    if (this.closed) return;
    if (!this.drainQueued && this.hub.size > 0) {
      this.drainQueued = true;
      queueMicrotask(() => void this.drainNow());
    }
    if (!this.ticking) this.schedule(0);
  }

  /**
   * Publishes every event committed so far and returns the head then: a caller that asks
   * after its own write was acknowledged gets a head that includes it (GetDaemonStatus).
   */
  async catchUp(): Promise<number> {
    if (this.started && !this.closed) await this.drain();
    return this.cursor;
  }

  /** Stops ticking and waits for a running tick. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe();
    clearTimeout(this.timer);
    await this.ticking;
    await this.draining;
  }

  /** One pass; exposed for benchmarks and tests. */
  async tick(): Promise<void> {
    const started = performance.now();
    const version = this.store.changeVersion();
    // A follower never skips: it must keep trying to take over the singleton duties.
    const nothingDue = this.leader && !this.duties().some((duty) => duty.isDue(started));
    if (version === this.lastDataVersion && !this.woken && nothingDue) {
      this.stats.skip();
      return;
    }
    this.woken = false;
    this.lastDataVersion = version;
    this.leader = await this.store.isLeader();
    let events = await this.drain();
    let wrote = 0;
    for (const duty of this.duties()) wrote += await duty.run(started);
    if (wrote) {
      this.lastDataVersion = this.store.changeVersion();
      events += await this.drain();
    }
    this.stats.record(started, events);
  }

  private duties(): Duty[] {
    return this.leader ? [...this.singletonDuties, ...this.localDuties] : this.localDuties;
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    if (this.closed) return;
    this.timer = setTimeout(() => void this.run(), delayMs);
  }

  private async run(): Promise<void> {
    if (this.ticking || this.closed) return;
    this.ticking = this.tick().catch((err) => this.options.onError?.(err));
    await this.ticking;
    this.ticking = undefined;
    const untilDue = Math.min(...this.duties().map((duty) => duty.wakeAt())) - performance.now();
    this.schedule(this.woken ? 0 : Math.max(0, Math.min(this.options.intervalMs, untilDue)));
  }

  private async drainNow(): Promise<void> {
    this.drainQueued = false;
    if (this.closed) return;
    try {
      this.stats.addEvents(await this.drain());
    } catch (err) {
      this.options.onError?.(err);
    }
  }

  /** Publishes the log after the cursor; never overlaps another drain (no event twice). */
  private drain(): Promise<number> {
    const run = this.draining.then(() => this.drainBatches());
    this.draining = run.catch(() => undefined);
    return run;
  }

  private async drainBatches(): Promise<number> {
    let total = 0;
    const deadlineOf = (id: string) => monitorDeadline(this.store.reader, id);
    for (;;) {
      const batch = await eventsAfter(this.store.reader, this.cursor, TAIL_BATCH);
      await this.attributes.prefetch(this.store.reader, batch);
      for (const event of batch) {
        await this.table.apply(event, deadlineOf);
        this.attributes.attach(event);
        this.cursor = event.seq;
        this.hub.publish(event);
        this.options.onEvent?.(event);
      }
      total += batch.length;
      if (batch.length < TAIL_BATCH) return total;
    }
  }
}
