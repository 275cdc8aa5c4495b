import type { Hub } from "../hub/hub.js";
import { FailedPreconditionError, NotFoundError } from "../store/errors.js";
import { eventsAfter, headSeq } from "../store/events.js";
import { setStatus } from "../store/messages.js";
import type { Knex } from "knex";
import { allMonitors, deleteMonitors, monitorDeadline, type MonitorDeadline } from "../store/monitors.js";
import type { Store } from "../store/open-store.js";
import { sampleProgress } from "../store/progress.js";
import { compactBatch } from "../store/compaction.js";
import type { EventRecord } from "../store/records.js";
import { ACTIVE_STATUSES, isTerminal, type StatusName } from "../store/status.js";
import { formatDurationMs } from "../shared/duration.js";
import { DueQueue } from "./due-queue.js";
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

interface Watched {
  status: StatusName;
  length: number;
  /** Monotonic deadline (performance.now() ms), or null. */
  deadline: number | null;
  /** Monotonic time it became terminal, or null. */
  finishedAt: number | null;
  /** The registered timeout, for the error text. */
  timeoutMs: number | null;
}

const TAIL_BATCH = 1000;
/**
 * Progress is sampled at most this often (or every interval, if shorter). An agent streams
 * its answer in many small appends; sampling each burst apart would cost a write per
 * burst to say what the next sample says anyway. Status changes are never held back.
 */
const PROGRESS_GAP_MS = 20;
const COMPACT_BATCH = 500;
const COMPACT_BATCHES_PER_TICK = 20;

/**
 * The one loop of the daemon: tails the event log by seq and publishes to the hub, samples
 * the content length of monitored messages, times out messages past their deadline, and
 * unregisters finished ones after the retention. It skips a tick cheaply when the store has
 * not changed (`PRAGMA data_version`) and nothing is due or woken. Deadlines use the
 * monotonic clock, so wall-clock jumps do not fire them.
 */
export class Poller {
  readonly stats = new TickStats();
  private readonly watched = new Map<string, Watched>();
  private readonly due = new DueQueue();
  private cursor = 0;
  private lastDataVersion = Number.NaN;
  private woken = true;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  /** The last drain (drains run one after another, each from the cursor the last one left). */
  private draining: Promise<unknown> = Promise.resolve();
  private drainQueued = false;
  private closed = false;
  private nextCompaction = 0;
  /** When progress may next be sampled (monotonic ms), and whether a sample waits for it. */
  private nextSample = 0;
  private samplePending = false;
  /** Whether this daemon runs deadlines, retention and compaction (see Store.isLeader). */
  private leader = false;
  private unsubscribe: () => void = () => undefined;

  constructor(
    private readonly store: Store,
    private readonly hub: Hub,
    private readonly options: PollerOptions,
  ) {}

  /** Messages currently monitored. */
  get monitored(): number {
    return this.watched.size;
  }

  /** The newest seq published to the hub. */
  get headSeq(): number {
    return this.cursor;
  }

  /** Loads the monitors, starts at the log's head and begins ticking. */
  async start(): Promise<void> {
    await this.store.reader.snapshot(async (reader) => {
      this.cursor = await headSeq(reader);
      for (const m of await allMonitors(reader)) {
        this.track(m.messageId, m.status as StatusName, m.contentLength, m, m.completedAt);
      }
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

  /** Stops ticking and waits for a running tick. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe();
    clearTimeout(this.timer);
    await this.ticking;
    await this.draining;
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
    const now = performance.now();
    const untilDue = this.leader ? Math.min(this.due.peek(), this.samplePending ? this.nextSample : Infinity) - now : Infinity;
    this.schedule(this.woken ? 0 : Math.max(0, Math.min(this.options.intervalMs, untilDue)));
  }

  /** One pass; exposed for benchmarks. */
  async tick(): Promise<void> {
    const started = performance.now();
    const version = this.store.changeVersion();
    // A follower never skips: it must keep trying to take over the singleton duties.
    const nothingDue = this.leader && this.due.peek() > started && this.nextCompaction > started && !this.samplePending;
    if (version === this.lastDataVersion && !this.woken && nothingDue) {
      this.stats.skip();
      return;
    }
    this.woken = false;
    this.lastDataVersion = version;
    this.leader = await this.store.isLeader();
    let events = await this.drain();
    // Singleton duties: with several daemons on one store only the leader samples progress,
    // enforces deadlines and retention and compacts, so none of it happens twice.
    const wrote = this.leader
      ? (await this.sample(started)) + (await this.enforceDue(started)) + (await this.compact(started))
      : 0;
    if (wrote) {
      this.lastDataVersion = this.store.changeVersion();
      events += await this.drain();
    }
    this.stats.record(started, events);
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
    for (;;) {
      const batch = await eventsAfter(this.store.reader, this.cursor, TAIL_BATCH);
      for (const event of batch) {
        await this.apply(event);
        this.cursor = event.seq;
        this.hub.publish(event);
        this.options.onEvent?.(event);
      }
      total += batch.length;
      if (batch.length < TAIL_BATCH) return total;
    }
  }

  private async apply(event: EventRecord): Promise<void> {
    const id = event.messageId;
    if (event.kind === "registered") {
      const deadline = (await monitorDeadline(this.store.reader, id)) ?? { deadlineAt: null, timeoutMs: null };
      this.track(id, event.toStatus ?? "pending", event.contentLength, deadline, null, true);
      return;
    }
    if (event.kind === "unregistered") {
      this.watched.delete(id);
      return;
    }
    const state = this.watched.get(id);
    if (!state) return;
    state.length = event.contentLength;
    if (event.toStatus && event.toStatus !== state.status) {
      state.status = event.toStatus;
      if (isTerminal(event.toStatus)) this.finish(id, state, performance.now());
    }
  }

  private track(id: string, status: StatusName, length: number, monitor: MonitorDeadline, completedAt: number | null, live = false) {
    const now = performance.now();
    const { deadlineAt, timeoutMs } = monitor;
    // Converted once to the monotonic clock: later wall-clock jumps cannot fire it early. A
    // registration seen live began just now, so its timeout counts from now (late by the
    // poller's lag, never early): reading deadline_at back through the wall clock would fire
    // it early if the clock jumped forward between the write and this read.
    const deadline =
      deadlineAt === null ? null : live && timeoutMs !== null ? now + timeoutMs : now + (deadlineAt * 1000 - Date.now());
    const state: Watched = { status, length, deadline, finishedAt: null, timeoutMs };
    this.watched.set(id, state);
    if (isTerminal(status)) {
      const finishedAt = completedAt === null ? now : now - Math.max(0, Date.now() - completedAt * 1000);
      this.finish(id, state, finishedAt);
    } else if (deadline !== null) {
      this.due.push(deadline, id);
    }
  }

  private finish(id: string, state: Watched, at: number): void {
    state.finishedAt = at;
    state.deadline = null;
    this.due.push(at + this.options.retentionMs, id);
  }

  /**
   * Deletes events older than the history retention, in small transactions so writers are
   * never held up for long, and never beyond what has been published. Runs every
   * quarter retention (at most every minute); a backlog continues on the next run.
   */
  private async compact(now: number): Promise<number> {
    if (now < this.nextCompaction) return 0;
    const retentionMs = this.options.historyRetentionMs ?? 7 * 86_400_000;
    this.nextCompaction = now + Math.min(60_000, Math.max(this.options.intervalMs, retentionMs / 4));
    const before = (Date.now() - retentionMs) / 1000;
    let deleted = 0;
    for (let i = 0; i < COMPACT_BATCHES_PER_TICK; i++) {
      const n = await this.store.write((trx) => compactBatch(trx, before, this.cursor, COMPACT_BATCH));
      deleted += n;
      if (n < COMPACT_BATCH) return deleted;
    }
    this.nextCompaction = now; // more to do: continue next tick
    return deleted;
  }

  private async sample(now: number): Promise<number> {
    if (now < this.nextSample) {
      this.samplePending = true; // run() schedules a tick for nextSample
      return 0;
    }
    this.samplePending = false;
    if (!(await this.store.reader.get("SELECT 1 FROM content_changes LIMIT 1"))) return 0;
    this.nextSample = now + Math.min(PROGRESS_GAP_MS, this.options.intervalMs);
    const known = (id: string) => {
      const state = this.watched.get(id);
      return state && !isTerminal(state.status) ? state.length : undefined;
    };
    return this.store.write((trx) => sampleProgress(trx, known));
  }

  private async enforceDue(now: number): Promise<number> {
    const timeouts: string[] = [];
    const expired: string[] = [];
    for (const { id } of this.due.popDue(now)) {
      const state = this.watched.get(id);
      if (!state) continue;
      if (state.deadline !== null && state.deadline <= now && !isTerminal(state.status)) timeouts.push(id);
      else if (state.finishedAt !== null && state.finishedAt + this.options.retentionMs <= now) expired.push(id);
    }
    try {
      if (timeouts.length) await this.store.write((trx) => this.timeOut(trx, timeouts));
      if (expired.length) await this.store.write((trx) => deleteMonitors(trx, expired, "expired"));
    } catch (err) {
      // Try again next tick (the store may be busy or read-only for a while).
      for (const id of [...timeouts, ...expired]) this.due.push(now + this.options.intervalMs, id);
      throw err;
    }
    return timeouts.length + expired.length;
  }

  private async timeOut(trx: Knex.Transaction, ids: string[]): Promise<void> {
    for (const id of ids) {
      const timeoutMs = this.watched.get(id)?.timeoutMs;
      const within = timeoutMs ? ` within ${formatDurationMs(timeoutMs)}` : "";
      try {
        await setStatus(trx, id, "timed_out", `deadline exceeded: not finished${within}`, ACTIVE_STATUSES);
      } catch (err) {
        // It finished or vanished in the meantime: nothing to time out.
        if (!(err instanceof FailedPreconditionError || err instanceof NotFoundError)) throw err;
      }
    }
  }
}

