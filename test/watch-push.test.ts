// The push path of watches (the gRPC fast path's follower) on a real hub: the chunked event
// queue, a subscription's listener mode, the shared heartbeat timer and PushFollower, with a
// transport of the test's own that fills and drains on command.
import { describe, expect, it, vi } from "vitest";
import { EventQueue } from "../src/hub/event-queue.js";
import { Hub } from "../src/hub/hub.js";
import { SubscriptionEndedError } from "../src/hub/subscription.js";
import type { ServiceContext } from "../src/service/context.js";
import { Heartbeats, ROUNDS_PER_HEARTBEAT } from "../src/service/heartbeats.js";
import { openWatch, type OpenWatch } from "../src/service/watch.js";
import { PushFollower } from "../src/service/watch-push.js";
import type { EventRecord } from "../src/store/records.js";

let seq = 0;
function event(messageId: string, toStatus: EventRecord["toStatus"] = "processing"): EventRecord {
  return { seq: ++seq, messageId, threadId: "t", kind: "status_changed", fromStatus: "pending", toStatus, contentLength: 0, time: 0, detail: "" };
}

/** A transport that accepts `room` responses, then reports full until given more room. */
class Sink {
  sent: string[] = [];
  /** The heartbeat round of each write, when given the context to read it from. */
  rounds: number[] = [];
  room = Infinity;
  constructor(private readonly ctx?: ServiceContext) {}
  write(response: string): boolean {
    this.sent.push(response);
    if (this.ctx) this.rounds.push(this.ctx.heartbeats.round);
    return --this.room > 0;
  }
}

function context(hub: Hub, heartbeatMs = 40): ServiceContext {
  return { hub, heartbeats: new Heartbeats(heartbeatMs), heartbeatMs, watchers: { count: 0 } } as unknown as ServiceContext;
}

/** Heartbeat responses made (one function for every watch, as the services have). */
let heartbeatsMade = 0;
const heartbeat = (s: number) => (heartbeatsMade++, `heartbeat ${s}`);

function watchOf(ctx: ServiceContext, messageId: string): OpenWatch<string> {
  return openWatch(ctx, { messageId }, async function* () {
    return 0;
  }, { respond: (e) => `event ${e.seq}`, heartbeat, isLast: (e) => e.toStatus === "complete" });
}

describe("EventQueue", () => {
  it("is a FIFO across chunk boundaries, taking one at a time or all at once", () => {
    const queue = new EventQueue();
    const events = Array.from({ length: 5000 }, () => event("q"));
    for (const e of events.slice(0, 3000)) queue.push(e);
    const taken = Array.from({ length: 1500 }, () => queue.shift()!);
    for (const e of events.slice(3000)) queue.push(e);
    expect(queue.size).toBe(3500);
    expect([...taken, ...queue.drain()]).toEqual(events);
    expect(queue.size).toBe(0);
    expect(queue.shift()).toBeUndefined();
    queue.push(events[0]!);
    queue.clear();
    expect(queue.shift()).toBeUndefined();
  });
});

describe("PushFollower", () => {
  it("writes each published event at once, skips what the start covered, and ends after the last", async () => {
    seq = 100;
    const hub = new Hub();
    const ctx = context(hub);
    const watch = watchOf(ctx, "m");
    const early = event("m");
    hub.publish(early); // queued before following starts, and covered by the start (lastSeq)
    const sink = new Sink();
    const follower = new PushFollower(ctx, watch, early.seq, sink);
    const done = follower.run(new AbortController().signal);
    const a = event("m");
    hub.publish(a);
    hub.publish(event("other"));
    expect(sink.sent).toEqual([`event ${a.seq}`]);
    const last = event("m", "complete");
    hub.publish(last);
    await done;
    expect(sink.sent).toEqual([`event ${a.seq}`, `event ${last.seq}`]);
    watch.close();
    expect(hub.size).toBe(0);
    expect(ctx.watchers.count).toBe(0);
  });

  it("holds events while the transport is full, writes them on drain, and cuts off a watcher past its queue limit with its last sent seq", async () => {
    const hub = new Hub({ queueLimit: 3 });
    const ctx = context(hub);
    const watch = watchOf(ctx, "m");
    const sink = new Sink();
    sink.room = 2;
    const follower = new PushFollower(ctx, watch, 0, sink);
    const done = follower.run(new AbortController().signal);
    const events = Array.from({ length: 5 }, () => event("m"));
    for (const e of events) hub.publish(e);
    expect(sink.sent).toEqual(events.slice(0, 2).map((e) => `event ${e.seq}`)); // full after 2
    expect(watch.sub.queued).toBe(3);
    sink.room = Infinity;
    follower.drained();
    expect(sink.sent).toHaveLength(5);
    expect(watch.sub.queued).toBe(0);

    sink.room = 1;
    const more = Array.from({ length: 5 }, () => event("m"));
    for (const e of more) hub.publish(e); // 1 written, 3 queued, the 5th overflows
    const error = await done.then(() => undefined, (err: unknown) => err);
    expect(error).toBeInstanceOf(SubscriptionEndedError);
    expect((error as SubscriptionEndedError).reason).toBe("overflow");
    expect((error as SubscriptionEndedError).lastSeq).toBe(more[0]!.seq);
    watch.close();
  });

  it("sends heartbeats from one shared timer only when idle and caught up, sharing one response per seq", async () => {
    const hub = new Hub();
    const ctx = context(hub, 40);
    // Nine streams opened together: the first and the last beat in the same rounds (new
    // streams' heartbeats are spread over eight), the others in rounds of their own.
    const watches = Array.from({ length: 9 }, (_, i) => watchOf(ctx, i ? `w${i}` : "a"));
    const sinks = watches.map(() => new Sink(ctx));
    const controller = new AbortController();
    const runs = watches.map((w, i) => new PushFollower(ctx, w, 0, sinks[i]!).run(controller.signal));
    const e = event("zzz"); // nobody's message: moves the head
    hub.publish(e);
    heartbeatsMade = 0;
    await new Promise((r) => setTimeout(r, 120));
    for (const sink of sinks) {
      expect(sink.sent.length).toBeGreaterThan(0);
      expect(new Set(sink.sent)).toEqual(new Set([`heartbeat ${e.seq}`]));
    }
    // Streams beating in the same round at the same seq share one response: one made per round.
    const rounds = new Set(sinks.flatMap((sink) => sink.rounds));
    expect(heartbeatsMade).toBe(rounds.size);
    expect(sinks[8]!.rounds).toEqual(sinks[0]!.rounds);
    expect(heartbeatsMade).toBeLessThan(sinks.reduce((n, sink) => n + sink.sent.length, 0));
    // A stream with events waiting (transport full) gets no heartbeat that would skip them.
    sinks[0]!.room = 1;
    hub.publish(event("a"));
    const waiting = event("a");
    hub.publish(waiting);
    const sentWhileFull = sinks[0]!.sent.length;
    await new Promise((r) => setTimeout(r, 120));
    expect(sinks[0]!.sent.length).toBe(sentWhileFull);
    controller.abort(new Error("client left"));
    for (const run of runs) await expect(run).rejects.toThrow("client left");
    for (const w of watches) w.close();
    expect(hub.size).toBe(0);
  });

  it("spreads the first heartbeats of streams opened together over half an interval", () => {
    vi.useFakeTimers();
    try {
      const hub = new Hub();
      const ctx = context(hub, 1600); // a round every 100 ms
      const sinks = Array.from({ length: 16 }, () => new Sink(ctx));
      const watches = sinks.map((_, i) => watchOf(ctx, `s${i}`));
      const controller = new AbortController();
      const runs = watches.map((w, i) => new PushFollower(ctx, w, 0, sinks[i]!).run(controller.signal));
      for (const run of runs) run.catch(() => undefined);
      vi.advanceTimersByTime(100 * (ROUNDS_PER_HEARTBEAT + 1));
      const first = sinks.map((sink) => sink.rounds[0]);
      // Each stream beat once, no later than one interval (plus its round) after it opened,
      // no sooner than half an interval, and in eight different rounds rather than one.
      expect(sinks.map((sink) => sink.sent.length)).toEqual(sinks.map(() => 1));
      for (const round of first) {
        expect(round).toBeGreaterThan(ROUNDS_PER_HEARTBEAT / 2);
        expect(round).toBeLessThanOrEqual(ROUNDS_PER_HEARTBEAT);
      }
      expect(new Set(first).size).toBe(ROUNDS_PER_HEARTBEAT / 2);
      controller.abort(new Error("client left"));
      for (const w of watches) w.close();
    } finally {
      vi.useRealTimers();
    }
  });
});
