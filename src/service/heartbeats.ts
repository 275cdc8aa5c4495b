/** A watch stream the shared heartbeat timer looks after. */
export interface HeartbeatTarget {
  /** The round in which it last wrote (Heartbeats.round then); Heartbeats.add moves a new stream's back by up to half an interval. */
  lastWriteRound: number;
  /** Writes a heartbeat if it can; `shared` returns one response per (function, seq) for this round. */
  beat(shared: <R>(make: (seq: number) => R, seq: number) => R): void;
}

/** Rounds per heartbeat interval: a stream idle for 16 rounds gets a heartbeat. */
export const ROUNDS_PER_HEARTBEAT = 16;
/** New streams' first heartbeats are spread over this many rounds (half an interval). */
const SPREAD_ROUNDS = ROUNDS_PER_HEARTBEAT / 2;

/**
 * One timer for the heartbeats of every pushed watch stream, instead of one timer per
 * stream. It runs sixteen times per heartbeat interval while any stream is registered; a
 * stream that wrote nothing for sixteen rounds (between 1 and 1.07 intervals) gets a
 * heartbeat, and a new stream's first one comes after half an interval to one, so the
 * heartbeats of streams opened together are spread over eight rounds. Streams at the same
 * seq beating in one round share one response object, so its encoding is made once per
 * round rather than once per stream.
 */
export class Heartbeats {
  private readonly targets = new Set<HeartbeatTarget>();
  private timer: NodeJS.Timeout | undefined;
  private added = 0;
  /** Counts the timer's rounds; writers stamp it on each write. */
  round = 0;

  constructor(private readonly intervalMs: number) {}

  add(target: HeartbeatTarget): void {
    // Streams opened together (clients reconnecting after a restart) would otherwise beat
    // together for as long as they stay idle: thousands of writes in one turn, whose
    // buffers outlive a young-generation collection and cost an old-generation one.
    target.lastWriteRound -= this.added++ % SPREAD_ROUNDS;
    this.targets.add(target);
    if (!this.timer) {
      this.timer = setInterval(() => this.tick(), Math.max(1, Math.floor(this.intervalMs / ROUNDS_PER_HEARTBEAT)));
      this.timer.unref();
    }
  }

  delete(target: HeartbeatTarget): void {
    this.targets.delete(target);
    if (!this.targets.size) this.stop();
  }

  /** Stops the timer (the daemon is stopping); streams still registered get no more heartbeats. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    const round = ++this.round;
    const made = new Map<(seq: number) => unknown, Map<number, unknown>>();
    const shared = <R>(make: (seq: number) => R, seq: number): R => {
      let bySeq = made.get(make);
      if (!bySeq) made.set(make, (bySeq = new Map()));
      let response = bySeq.get(seq) as R | undefined;
      if (response === undefined) bySeq.set(seq, (response = make(seq)));
      return response;
    };
    for (const target of this.targets) if (round - target.lastWriteRound >= ROUNDS_PER_HEARTBEAT) target.beat(shared);
  }
}
