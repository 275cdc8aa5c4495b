import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Hub } from "../src/hub/hub.js";
import { Compactor } from "../src/poller/compactor.js";
import { Deadlines } from "../src/poller/deadlines.js";
import { DueQueue } from "../src/poller/due-queue.js";
import { MonitorTable } from "../src/poller/monitor-table.js";
import { Poller } from "../src/poller/poller.js";
import { MonitoredSampler, WatchedSampler } from "../src/poller/progress-sampler.js";
import { eventsAfter, eventsWithAttributesAfter, headSeq, messageEventsAfter } from "../src/store/events.js";
import { appendContent, getMessage, insertMessage, setStatus } from "../src/store/messages.js";
import { allMonitors, monitorDeadline, upsertMonitor } from "../src/store/monitors.js";
import { openStore, type Store } from "../src/store/open-store.js";
import type { EventRecord } from "../src/store/records.js";
import { makeTempHome } from "./helpers/temp-home.js";
import path from "node:path";

const base = { module: "mod", type: "t", content: "", metadata: null } as const;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("DueQueue", () => {
  it("pops entries in due order, only those due, and peeks the earliest", () => {
    const queue = new DueQueue();
    for (const [due, id] of [[30, "c"], [10, "a"], [50, "e"], [20, "b"], [40, "d"]] as const) queue.push(due, id);
    expect(queue.peek()).toBe(10);
    expect(queue.popDue(35).map((e) => e.id)).toEqual(["a", "b", "c"]);
    expect(queue.peek()).toBe(40);
    expect(queue.size).toBe(2);
    expect(queue.popDue(100).map((e) => e.id)).toEqual(["d", "e"]);
    expect(queue.peek()).toBe(Infinity);
  });

  it("keeps heap order over many random pushes", () => {
    const queue = new DueQueue();
    const dues = Array.from({ length: 500 }, (_, i) => (i * 7919) % 1000);
    dues.forEach((due, i) => queue.push(due, `m${i}`));
    const popped = queue.popDue(Infinity).map((e) => e.due);
    expect(popped).toEqual([...dues].sort((a, b) => a - b));
  });
});

describe("poller duties (real SQLite store)", () => {
  let temp: ReturnType<typeof makeTempHome>;
  let store: Store;

  beforeEach(async () => {
    temp = makeTempHome();
    store = await openStore({ path: path.join(temp.home, "comms.db") });
  });

  afterEach(async () => {
    await store.close();
    temp.cleanup();
  });

  async function create(id: string, monitor?: { timeoutMs?: number; labels?: Record<string, string> }) {
    await store.write(async (trx) => {
      await insertMessage(trx, { ...base, messageId: id, threadId: "t", status: "processing" });
      if (monitor) await upsertMonitor(trx, { messageId: id, timeoutMs: monitor.timeoutMs ?? null, labels: monitor.labels ?? {} });
    });
  }

  /** A monitor table fed from the whole log, as the poller's tail feeds it. */
  async function tableFromLog(retentionMs = 3_600_000): Promise<MonitorTable> {
    const table = new MonitorTable(retentionMs);
    for (const event of await eventsAfter(store.reader, 0, 10_000)) {
      await table.apply(event, (id) => monitorDeadline(store.reader, id));
    }
    return table;
  }

  const progressOf = async (id: string) =>
    (await messageEventsAfter(store.reader, id, 0)).filter((e) => e.kind === "progress").map((e) => e.contentLength);

  it("a replay read attaches each event's module and monitor labels", async () => {
    await create("a", { labels: { team: "red" } });
    await create("b");
    const events = await eventsWithAttributesAfter(store.reader, 0, 100);
    const byId = (id: string) => events.filter((e) => e.messageId === id).map((e) => e.attributes);
    expect(byId("a")).toEqual([
      { module: "mod", labels: { team: "red" } },
      { module: "mod", labels: { team: "red" } },
    ]);
    expect(byId("b")).toEqual([{ module: "mod", labels: {} }]);
  });

  it("MonitorTable follows registrations, lengths, finishes and unregistrations", async () => {
    await create("a", {});
    await appendContent(store, "a", "hello");
    let table = await tableFromLog();
    expect(table.size).toBe(1);
    expect(table.activeLength("a")).toBe(0); // appends are not logged; samples are
    await store.write((trx) => setStatus(trx, "a", "complete", ""));
    table = await tableFromLog();
    expect(table.activeLength("a")).toBeUndefined();
    const loaded = new MonitorTable(3_600_000);
    loaded.load(await allMonitors(store.reader));
    expect(loaded.size).toBe(1);
  });

  it("MonitoredSampler writes one PROGRESS per grown monitored message, at most once per gap", async () => {
    await create("a", {});
    await create("b", {});
    const table = await tableFromLog();
    const sampler = new MonitoredSampler(store, table, 1000);
    await appendContent(store, "a", "abc");
    const now = performance.now();
    expect(await sampler.run(now)).toBe(1);
    expect(await progressOf("a")).toEqual([3]);
    await appendContent(store, "b", "xy");
    expect(await sampler.run(now + 1)).toBe(0); // within the gap: held back, marked pending
    expect(sampler.isDue()).toBe(true);
    expect(sampler.wakeAt()).toBeGreaterThan(now);
    expect(await sampler.run(now + 100)).toBe(1);
    expect(await progressOf("b")).toEqual([2]);
    expect(sampler.isDue()).toBe(false);
  });

  it("WatchedSampler writes PROGRESS for a watched message nobody registered, once per new length", async () => {
    await create("w");
    await create("other");
    const hub = new Hub();
    const sub = hub.subscribe({ messageId: "w" });
    const table = await tableFromLog();
    const sampler = new WatchedSampler(store, table, () => hub.watchedMessageIds(), 1000);
    const now = performance.now();
    expect(await sampler.run(now)).toBe(0); // nothing grew yet
    await appendContent(store, "w", "1234");
    await appendContent(store, "other", "not watched");
    expect(await sampler.run(now + 100)).toBe(1);
    expect(await sampler.run(now + 200)).toBe(0); // the same length is not reported twice
    await appendContent(store, "w", "56");
    expect(await sampler.run(now + 300)).toBe(1);
    expect(await progressOf("w")).toEqual([4, 6]);
    expect(await progressOf("other")).toEqual([]);
    sub.close();
    await appendContent(store, "w", "7");
    expect(await sampler.run(now + 400)).toBe(0); // nobody watches any more
  });

  it("Deadlines times out a message past its deadline, with the timeout in the error", async () => {
    await create("slow", { timeoutMs: 1 });
    const table = await tableFromLog();
    const deadlines = new Deadlines(store, table, 1000);
    await sleep(5);
    const now = performance.now();
    expect(deadlines.isDue(now)).toBe(true);
    expect(await deadlines.run(now)).toBe(1);
    const message = await getMessage(store.reader, "slow");
    expect(message.status).toBe("timed_out");
    expect(message.error).toBe("deadline exceeded: not finished within 1ms");
  });

  it("Deadlines unregisters a finished message after the retention, with an UNREGISTERED event", async () => {
    await create("done", {});
    await store.write((trx) => setStatus(trx, "done", "complete", ""));
    const table = await tableFromLog(1);
    const deadlines = new Deadlines(store, table, 1000);
    await sleep(5);
    expect(await deadlines.run(performance.now())).toBe(1);
    expect(await allMonitors(store.reader)).toEqual([]);
    const last = (await messageEventsAfter(store.reader, "done", 0)).at(-1);
    expect([last?.kind, last?.detail]).toEqual(["unregistered", "expired"]);
  });

  it("Compactor deletes events older than the history retention, never past what was published", async () => {
    await create("a");
    await create("b");
    const firstB = (await messageEventsAfter(store.reader, "b", 0))[0]!.seq;
    await sleep(20);
    const compactor = new Compactor(store, () => firstB - 1, 1000, 10);
    expect(await compactor.run(performance.now())).toBe(1); // a's event only: b's is not published
    expect(await messageEventsAfter(store.reader, "a", 0)).toEqual([]);
    expect(await messageEventsAfter(store.reader, "b", 0)).toHaveLength(1);
    expect(compactor.isDue(performance.now())).toBe(false); // next run after a quarter retention or the interval
  });

  it("Poller attaches each published event's module and current labels, so filters need no store read", async () => {
    const hub = new Hub();
    const poller = new Poller(store, hub, { intervalMs: 60_000, retentionMs: 3_600_000 });
    await poller.start();
    try {
      const sub = hub.subscribe({ accepts: () => true });
      await create("a", { labels: { team: "red" } });
      await store.write((trx) => upsertMonitor(trx, { messageId: "a", timeoutMs: null, labels: { team: "blue" } }));
      await store.write((trx) => setStatus(trx, "a", "complete", ""));
      const seen: EventRecord[] = [];
      for (let i = 0; i < 50 && seen.length < 4; i++) seen.push(...(await sub.take(100)));
      expect(seen.map((e) => [e.kind, e.attributes])).toEqual([
        ["created", { module: "mod", labels: {} }],
        ["registered", { module: "mod", labels: { team: "red" } }],
        ["registered", { module: "mod", labels: { team: "blue" } }],
        ["status_changed", { module: "mod", labels: { team: "blue" } }],
      ]);
    } finally {
      await poller.close();
    }
  });

  it("Poller refuses a second start() with a clear error", async () => {
    const poller = new Poller(store, new Hub(), { intervalMs: 1000, retentionMs: 1000 });
    try {
      await poller.start();
      await expect(poller.start()).rejects.toThrow(/start\(\) was called twice/);
    } finally {
      await poller.close();
    }
  });

  it("Poller publishes a committed write to the hub without being woken by hand, and its own samples cost no extra tick", async () => {
    const hub = new Hub();
    const poller = new Poller(store, hub, { intervalMs: 60_000, retentionMs: 3_600_000 });
    await create("a", {});
    await poller.start();
    try {
      await sleep(50); // the first tick, which start() scheduled, has run
      expect(poller.stats.ticks).toBe(1);
      const sub = hub.subscribe({ messageId: "a" });
      await appendContent(store, "a", "grown");
      const seen: EventRecord[] = [];
      for (let i = 0; i < 50 && !seen.some((e) => e.kind === "progress"); i++) seen.push(...(await sub.take(100)));
      expect(seen.map((e) => [e.kind, e.contentLength])).toEqual([["progress", 5]]);
      await sleep(200);
      // One tick for the append (it sampled and published); none woken by its own write.
      expect(poller.stats.ticks).toBe(2);
      expect(poller.headSeq).toBe(await headSeq(store.reader));
    } finally {
      await poller.close();
    }
  });
});
