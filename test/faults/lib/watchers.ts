import { ConnectError } from "@connectrpc/connect";
import type Database from "better-sqlite3";
import { EventKind, MessageStatus, type Event } from "../../../gen/claude_comms/v1/message_pb.js";
import { codeName, sleep, transportCause } from "./kit.js";

/*
 * The watch validator: watchers that record what they receive and resume with
 * after_seq = the last seq they saw after every disconnect, and the check of what they
 * received against the event log (etcd's robustness checks: ordered, unique, complete,
 * resumable; every pair of watchers of one message saw the same sequence).
 */

/** Opens a watch stream, resuming after `afterSeq` when given. */
export type OpenWatch = (afterSeq: bigint | undefined, signal: AbortSignal) => AsyncIterable<{ event?: Event }>;

/** A marker the stream sent: a SNAPSHOT or HEARTBEAT seq, after `before` logged events. */
interface Mark {
  seq: bigint;
  before: number;
}

/** How one stream of a watcher ended. */
export interface StreamEnd {
  code: string;
  /** The x-last-seq the daemon named, if any. */
  lastSeqHeader?: string;
  /** The last seq the watcher had seen when it ended. */
  seen?: bigint;
}

/** A watcher that keeps resuming until its stream ends OK or it is stopped. */
export class ResumingWatcher {
  /** Logged events received (not SNAPSHOT / HEARTBEAT), in arrival order. */
  readonly events: Event[] = [];
  readonly marks: Mark[] = [];
  readonly ends: StreamEnd[] = [];
  /** Seq of the first SNAPSHOT or HEARTBEAT: everything after it must arrive. */
  start: bigint | undefined;
  lastSeq: bigint | undefined;
  connects = 0;
  /** Index into `events` where each resumed stream began, with the seq it resumed after. */
  readonly resumePoints: Array<{ index: number; after: bigint }> = [];
  /** Streams opened with after_seq that delivered at least one event, heartbeat or end. */
  resumedStreams = 0;
  finished = false;
  private readonly controller = new AbortController();
  private running: Promise<void> | undefined;

  constructor(
    readonly name: string,
    private readonly open: OpenWatch,
  ) {}

  /** Starts the loop (idempotent); resolves when finished or stopped. */
  run(): Promise<void> {
    this.running ??= this.loop();
    return this.running;
  }

  /** Stops watching and waits for the loop. */
  async stop(): Promise<void> {
    this.controller.abort();
    await this.running;
  }

  private async loop(): Promise<void> {
    const signal = this.controller.signal;
    while (!signal.aborted && !this.finished) {
      this.connects++;
      const resumed = this.lastSeq !== undefined;
      if (resumed) this.resumePoints.push({ index: this.events.length, after: this.lastSeq! });
      let first = true;
      try {
        for await (const res of this.open(this.lastSeq, signal)) {
          if (resumed && first) this.resumedStreams++;
          first = false;
          if (res.event) this.take(res.event);
        }
        if (resumed && first) this.resumedStreams++;
        this.finished = true;
        this.ends.push({ code: "OK" });
      } catch (err) {
        if (signal.aborted) break;
        const header = err instanceof ConnectError ? (err.metadata.get("x-last-seq") ?? undefined) : undefined;
        this.ends.push({ code: transportCause(err) ?? codeName(err), lastSeqHeader: header, seen: this.lastSeq });
        await sleep(30);
      }
    }
  }

  private take(event: Event): void {
    if (event.kind === EventKind.SNAPSHOT || event.kind === EventKind.HEARTBEAT) {
      this.marks.push({ seq: event.seq, before: this.events.length });
      this.start ??= event.seq;
      if (this.lastSeq === undefined || event.seq > this.lastSeq) this.lastSeq = event.seq;
      return;
    }
    this.events.push(event);
    if (this.lastSeq === undefined || event.seq > this.lastSeq) this.lastSeq = event.seq;
  }
}

/** One row of the event log, as the validator compares it. */
export interface LogEvent {
  seq: bigint;
  messageId: string;
  threadId: string;
  kind: EventKind;
  toStatus: MessageStatus;
  contentLength: bigint;
}

const KINDS: Record<string, EventKind> = {
  created: EventKind.CREATED,
  status_changed: EventKind.STATUS_CHANGED,
  progress: EventKind.PROGRESS,
  registered: EventKind.REGISTERED,
  unregistered: EventKind.UNREGISTERED,
};
const STATUSES: Record<string, MessageStatus> = {
  pending: MessageStatus.PENDING,
  processing: MessageStatus.PROCESSING,
  complete: MessageStatus.COMPLETE,
  failed: MessageStatus.FAILED,
  timed_out: MessageStatus.TIMED_OUT,
  cancelled: MessageStatus.CANCELLED,
};

/** The whole event log, oldest first. */
export function readLog(db: Database.Database): LogEvent[] {
  const rows = db.prepare("SELECT seq, message_id, thread_id, kind, to_status, content_length FROM message_events ORDER BY seq").all() as Array<{
    seq: number;
    message_id: string;
    thread_id: string | null;
    kind: string;
    to_status: string | null;
    content_length: number;
  }>;
  return rows.map((r) => ({
    seq: BigInt(r.seq),
    messageId: r.message_id,
    threadId: r.thread_id ?? "",
    kind: KINDS[r.kind] ?? EventKind.UNSPECIFIED,
    toStatus: r.to_status ? (STATUSES[r.to_status] ?? MessageStatus.UNSPECIFIED) : MessageStatus.UNSPECIFIED,
    contentLength: BigInt(r.content_length),
  }));
}

/** What the check of one watcher found. */
export interface WatchReport {
  name: string;
  delivered: number;
  expected: number;
  missing: number;
  duplicated: number;
  disordered: number;
  extra: number;
  mismatched: number;
  /** Heartbeats (or snapshots) that claimed a seq before an expected event had arrived. */
  earlyMarks: number;
  /** Resumed streams whose first event was not the next expected one after the resume point. */
  badResumes: number;
  resumes: number;
  resumedStreams: number;
}

/**
 * Compares a watcher's events with the log events it should have received: those matching
 * `wanted` with start < seq <= `end` (default: the last seq it saw).
 */
export function checkWatcher(w: ResumingWatcher, log: readonly LogEvent[], wanted: (e: LogEvent) => boolean, end?: bigint): WatchReport {
  const start = w.start ?? 0n;
  const hi = end ?? w.lastSeq ?? 0n;
  const expected = log.filter((e) => e.seq > start && e.seq <= hi && wanted(e));
  const bySeq = new Map(expected.map((e) => [e.seq, e]));
  const got = w.events.map((e) => e.seq);
  const gotSet = new Set(got);
  let disordered = 0;
  for (let i = 1; i < got.length; i++) if (got[i]! <= got[i - 1]!) disordered++;
  let mismatched = 0;
  let extra = 0;
  for (const e of w.events) {
    const want = bySeq.get(e.seq);
    if (!want) {
      if (e.seq <= hi) extra++;
      continue;
    }
    if (want.kind !== e.kind || want.toStatus !== e.toStatus || want.contentLength !== e.contentLength || want.messageId !== e.messageId) mismatched++;
  }
  let earlyMarks = 0;
  for (const mark of w.marks) {
    const delivered = new Set(got.slice(0, mark.before));
    if (expected.some((e) => e.seq <= mark.seq && !delivered.has(e.seq))) earlyMarks++;
  }
  let badResumes = 0;
  for (const point of w.resumePoints) {
    const next = expected.find((e) => e.seq > point.after);
    const first = w.events[point.index];
    if (first && next && first.seq !== next.seq) badResumes++;
  }
  return {
    name: w.name,
    delivered: got.length,
    expected: expected.length,
    missing: expected.filter((e) => !gotSet.has(e.seq)).length,
    duplicated: got.length - gotSet.size,
    disordered,
    extra,
    mismatched,
    earlyMarks,
    badResumes,
    resumes: w.resumePoints.length,
    resumedStreams: w.resumedStreams,
  };
}

/** Pairs of watchers whose sequences differ where both were watching. */
export function disagreeingPairs(watchers: readonly ResumingWatcher[]): number {
  let bad = 0;
  for (let i = 0; i < watchers.length; i++) {
    for (let j = i + 1; j < watchers.length; j++) {
      const a = watchers[i]!;
      const b = watchers[j]!;
      const lo = a.start! > b.start! ? a.start! : b.start!;
      const hi = a.lastSeq! < b.lastSeq! ? a.lastSeq! : b.lastSeq!;
      const seqs = (w: ResumingWatcher) => w.events.filter((e) => e.seq > lo && e.seq <= hi).map((e) => `${e.seq}:${e.kind}:${e.toStatus}:${e.contentLength}`);
      if (seqs(a).join(",") !== seqs(b).join(",")) bad++;
    }
  }
  return bad;
}

/** Sums the counters of several reports. */
export function totals(reports: readonly WatchReport[]): Omit<WatchReport, "name"> {
  const sum = { delivered: 0, expected: 0, missing: 0, duplicated: 0, disordered: 0, extra: 0, mismatched: 0, earlyMarks: 0, badResumes: 0, resumes: 0, resumedStreams: 0 };
  for (const r of reports) for (const key of Object.keys(sum) as Array<keyof typeof sum>) sum[key] += r[key];
  return sum;
}
