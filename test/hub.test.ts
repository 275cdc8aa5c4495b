import { describe, expect, it } from "vitest";
import { Hub } from "../src/hub/hub.js";
import { SubscriptionEndedError } from "../src/hub/subscription.js";
import { ResourceLimitError } from "../src/common/errors.js";
import type { EventRecord } from "../src/store/records.js";

let seq = 0;
function event(messageId: string, extra: Partial<EventRecord> = {}): EventRecord {
  return {
    seq: ++seq,
    messageId,
    threadId: "t",
    kind: "status_changed",
    fromStatus: "pending",
    toStatus: "processing",
    contentLength: 0,
    time: 0,
    detail: "",
    ...extra,
  };
}

describe("Hub", () => {
  it("delivers a message's events only to that message's subscribers, in order", async () => {
    const hub = new Hub();
    const a = hub.subscribe({ messageId: "a" });
    const b = hub.subscribe({ messageId: "b" });
    const a1 = event("a");
    const b1 = event("b");
    const a2 = event("a");
    for (const e of [a1, b1, a2]) hub.publish(e);
    expect(await a.take(10)).toEqual([a1, a2]);
    expect(await b.take(10)).toEqual([b1]);
    expect(hub.headSeq).toBe(a2.seq);
    expect(hub.published).toBe(3);
  });

  it("delivers to predicate subscribers only what the predicate accepts", async () => {
    const hub = new Hub();
    const sub = hub.subscribe({ accepts: (e) => e.attributes?.module === "m" });
    const wanted = event("x", { attributes: { module: "m", labels: {} } });
    hub.publish(event("y", { attributes: { module: "other", labels: {} } }));
    hub.publish(wanted);
    expect(await sub.take(10)).toEqual([wanted]);
  });

  it("lists the messages watched one by one, and forgets them when the last watcher leaves", () => {
    const hub = new Hub();
    const one = hub.subscribe({ messageId: "a" });
    const two = hub.subscribe({ messageId: "a" });
    hub.subscribe({ accepts: () => true });
    expect([...hub.watchedMessageIds()]).toEqual(["a"]);
    one.close();
    expect([...hub.watchedMessageIds()]).toEqual(["a"]);
    two.close();
    expect([...hub.watchedMessageIds()]).toEqual([]);
    expect(hub.size).toBe(1);
  });

  it("refuses subscriptions past its limit and after close, with ResourceLimitError", async () => {
    const hub = new Hub({ maxSubscriptions: 1 });
    const sub = hub.subscribe({ messageId: "a" });
    expect(() => hub.subscribe({ messageId: "b" })).toThrow(ResourceLimitError);
    sub.close();
    hub.subscribe({ messageId: "b" }).close();
    const live = hub.subscribe({ messageId: "c" });
    hub.close();
    expect(() => hub.subscribe({ messageId: "d" })).toThrow(/daemon is stopping/);
    await expect(live.take(10)).rejects.toMatchObject({ reason: "shutdown" });
    expect(hub.size).toBe(0);
  });
});

describe("Subscription", () => {
  it("ends with overflow when its queue would pass the limit, naming the last seq taken", async () => {
    const hub = new Hub({ queueLimit: 2 });
    const sub = hub.subscribe({ messageId: "a" });
    const first = event("a");
    hub.publish(first);
    expect(await sub.take(10)).toEqual([first]);
    for (let i = 0; i < 3; i++) hub.publish(event("a"));
    const err = await sub.take(10).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SubscriptionEndedError);
    expect(err).toMatchObject({ reason: "overflow", lastSeq: first.seq });
    expect((err as Error).message).toContain(`resume with after_seq=${first.seq}`);
    expect(hub.size).toBe(0);
  });

  it("returns an empty batch when nothing comes within the timeout", async () => {
    const sub = new Hub().subscribe({ messageId: "a" });
    const started = performance.now();
    expect(await sub.take(30)).toEqual([]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
  });

  it("wakes a waiting take() as soon as an event arrives", async () => {
    const hub = new Hub();
    const sub = hub.subscribe({ messageId: "a" });
    const taking = sub.take(5000);
    const e = event("a");
    setTimeout(() => hub.publish(e), 5);
    expect(await taking).toEqual([e]);
  });

  it("rejects a waiting take() with the signal's reason when aborted", async () => {
    const sub = new Hub().subscribe({ messageId: "a" });
    const controller = new AbortController();
    const taking = sub.take(5000, controller.signal);
    controller.abort(new Error("client left"));
    await expect(taking).rejects.toThrow("client left");
  });
});
