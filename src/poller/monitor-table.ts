import type { MonitorDeadline, MonitorState } from "../store/monitors.js";
import type { EventRecord } from "../store/records.js";
import { isTerminal, type StatusName } from "../store/status.js";
import { DueQueue } from "./due-queue.js";

/** What the poller knows of one monitored message. */
interface Monitored {
  status: StatusName;
  length: number;
  /** Monotonic deadline (performance.now() ms), or null. */
  deadline: number | null;
  /** Monotonic time it became terminal, or null. */
  finishedAt: number | null;
  /** The registered timeout, for the error text. */
  timeoutMs: number | null;
  labels: Readonly<Record<string, string>>;
}

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

/** What is due at a moment: messages past their deadline, and finished ones past retention. */
export interface DueWork {
  timeouts: string[];
  expired: string[];
}

/**
 * The monitored messages in memory: status, length, labels, deadline and finish time of each, kept
 * up to date from the log's events, with a DueQueue of deadlines and retention expiries.
 * Deadlines use the monotonic clock, so wall-clock jumps do not fire them.
 */
export class MonitorTable {
  private readonly monitors = new Map<string, Monitored>();
  private readonly due = new DueQueue();

  constructor(private readonly retentionMs: number) {}

  /** Messages monitored. */
  get size(): number {
    return this.monitors.size;
  }

  /** The earliest time something is due (monotonic ms), or Infinity. */
  nextDue(): number {
    return this.due.peek();
  }

  /** Loads the monitors the store had at start. */
  load(monitors: readonly MonitorState[]): void {
    for (const m of monitors) this.track(m.messageId, m.status as StatusName, m.contentLength, m, m.completedAt, false);
  }

  /**
   * Follows one event of the log. A REGISTERED event needs the monitor's deadline and
   * labels, which `deadlineOf` reads (only then).
   */
  async apply(event: EventRecord, deadlineOf: (id: string) => Promise<MonitorDeadline | undefined>): Promise<void> {
    const id = event.messageId;
    if (event.kind === "registered") {
      const deadline = (await deadlineOf(id)) ?? { deadlineAt: null, timeoutMs: null, labels: {} };
      this.track(id, event.toStatus ?? "pending", event.contentLength, deadline, null, true);
      return;
    }
    if (event.kind === "unregistered") {
      this.monitors.delete(id);
      return;
    }
    const state = this.monitors.get(id);
    if (!state) return;
    state.length = event.contentLength;
    if (event.toStatus && event.toStatus !== state.status) {
      state.status = event.toStatus;
      if (isTerminal(event.toStatus)) this.finish(state, id, performance.now());
    }
  }

  /** The last known length of a monitored message still active; undefined otherwise. */
  activeLength(id: string): number | undefined {
    const state = this.monitors.get(id);
    return state && !isTerminal(state.status) ? state.length : undefined;
  }

  /** The labels of a monitored message ({} when not monitored). */
  labelsOf(id: string): Readonly<Record<string, string>> {
    return this.monitors.get(id)?.labels ?? NO_LABELS;
  }

  /** The registered timeout of a monitored message, or null. */
  timeoutMs(id: string): number | null {
    return this.monitors.get(id)?.timeoutMs ?? null;
  }

  /** Takes what is due at `now` off the queue (the caller acts on it, or calls retry). */
  takeDue(now: number): DueWork {
    const work: DueWork = { timeouts: [], expired: [] };
    for (const { id } of this.due.popDue(now)) {
      const state = this.monitors.get(id);
      if (!state) continue;
      if (state.deadline !== null && state.deadline <= now && !isTerminal(state.status)) work.timeouts.push(id);
      else if (state.finishedAt !== null && state.finishedAt + this.retentionMs <= now) work.expired.push(id);
    }
    return work;
  }

  /** Puts ids back to be due again at `at` (their action failed). */
  retry(ids: readonly string[], at: number): void {
    for (const id of ids) this.due.push(at, id);
  }

  private track(id: string, status: StatusName, length: number, monitor: MonitorDeadline, completedAt: number | null, live: boolean) {
    const now = performance.now();
    const { deadlineAt, timeoutMs, labels } = monitor;
    // Converted once to the monotonic clock: later wall-clock jumps cannot fire it early. A
    // registration seen live began just now, so its timeout counts from now (late by the
    // poller's lag, never early): reading deadline_at back through the wall clock would fire
    // it early if the clock jumped forward between the write and this read.
    const deadline =
      deadlineAt === null ? null : live && timeoutMs !== null ? now + timeoutMs : now + (deadlineAt * 1000 - Date.now());
    const state: Monitored = { status, length, deadline, finishedAt: null, timeoutMs, labels };
    this.monitors.set(id, state);
    if (isTerminal(status)) {
      const finishedAt = completedAt === null ? now : now - Math.max(0, Date.now() - completedAt * 1000);
      this.finish(state, id, finishedAt);
    } else if (deadline !== null) {
      this.due.push(deadline, id);
    }
  }

  private finish(state: Monitored, id: string, at: number): void {
    state.finishedAt = at;
    state.deadline = null;
    this.due.push(at + this.retentionMs, id);
  }
}
