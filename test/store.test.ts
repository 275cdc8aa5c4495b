import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FailedPreconditionError, NotFoundError, StoreBusyError } from "../src/common/errors.js";
import { storeInternals } from "../src/store/internal.js";
import { messageEventsAfter } from "../src/store/events.js";
import { appendContent, getMessage, insertMessage, setStatus } from "../src/store/messages.js";
import { upsertMonitor } from "../src/store/monitors.js";
import { openStore, type Store } from "../src/store/open-store.js";
import { sampleProgress } from "../src/store/progress.js";
import { CHECK_EVERY_MS, IDLE_CHECK_EVERY_MS, nextCheckDelay, SqliteCheckpointer } from "../src/store/sqlite-checkpointer.js";
import { makeTempHome } from "./helpers/temp-home.js";

const base = { module: "m", type: "t", content: "", metadata: null } as const;

/**
 * Waits (up to 10 s) until a checkpoint has copied every WAL frame into the database file:
 * the wal-index (-shm) holds mxFrame at byte 16 and nBackfill at byte 96, in native
 * (little-endian) order. Says whether it happened.
 */
async function walBackfilled(file: string): Promise<boolean> {
  const backfilled = () => {
    const shm = fs.readFileSync(`${file}-shm`);
    return shm.readUInt32LE(96) === shm.readUInt32LE(16);
  };
  for (const end = Date.now() + 10_000; !backfilled() && Date.now() < end; ) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return backfilled();
}

describe("store", () => {
  let temp: ReturnType<typeof makeTempHome>;
  let store: Store;
  let file: string;

  beforeEach(async () => {
    temp = makeTempHome();
    file = path.join(temp.home, "comms.db");
    store = await openStore({ path: file, busyTimeoutMs: 200 });
  });

  afterEach(async () => {
    await store.close();
    temp.cleanup();
  });

  it("sets WAL and the configured synchronous level on every connection", async () => {
    const rows = await storeInternals(store).knex.raw("PRAGMA synchronous");
    expect(rows[0].synchronous).toBe(1); // NORMAL
    expect((await storeInternals(store).knex.raw("PRAGMA journal_mode"))[0].journal_mode).toBe("wal");
    await store.close();
    store = await openStore({ path: file, synchronous: "FULL" });
    expect((await storeInternals(store).knex.raw("PRAGMA synchronous"))[0].synchronous).toBe(2);
  });

  it("announces each committed write to its change listeners, and nothing else", async () => {
    let calls = 0;
    const unsubscribe = store.onChange(() => calls++);
    await store.write((trx) => insertMessage(trx, { ...base, messageId: "a", threadId: "t", status: "pending" }));
    expect(calls).toBe(1);
    await appendContent(store, "a", "hello");
    expect(calls).toBe(2);
    await expect(store.write((trx) => setStatus(trx, "missing", "failed", ""))).rejects.toBeInstanceOf(NotFoundError);
    await store.probe();
    expect(calls).toBe(2); // a rolled-back write and the health probe change nothing anyone watches
    unsubscribe();
    await store.write((trx) => setStatus(trx, "a", "processing", ""));
    expect(calls).toBe(2);
  });

  it("migrates once and reopens an existing file unchanged", async () => {
    await store.write((trx) => insertMessage(trx, { ...base, messageId: "a", threadId: "t", status: "pending" }));
    await store.close();
    store = await openStore({ path: file });
    expect((await getMessage(store.reader, "a")).status).toBe("pending");
    const migrations = await storeInternals(store).knex("knex_migrations").select("name");
    expect(migrations.map((m: { name: string }) => m.name)).toEqual(["0001_initial", "0002_modules", "0003_agent_sessions"]);
  });

  it("logs creation and every status change through triggers, for any writer", async () => {
    const external = new Database(file);
    external.prepare("INSERT INTO messages (message_id, thread_id, status) VALUES ('x', 't', 'pending')").run();
    external.prepare("UPDATE messages SET status = 'processing' WHERE message_id = 'x'").run();
    external.prepare("UPDATE messages SET content = 'abc' WHERE message_id = 'x'").run();
    external.prepare("UPDATE messages SET status = 'failed' WHERE message_id = 'x'").run();
    external.close();
    const events = (await messageEventsAfter(store.reader, "x", 0));
    expect(events.map((e) => [e.kind, e.fromStatus, e.toStatus, e.contentLength])).toEqual([
      ["created", null, "pending", 0],
      ["status_changed", "pending", "processing", 0],
      ["status_changed", "processing", "failed", 3],
    ]);
    const message = (await getMessage(store.reader, "x"));
    expect(message.completedAt).not.toBeNull();
    expect(message.updatedAt).toBeGreaterThanOrEqual(message.createdAt);
  });

  it("refuses leaving a terminal status and unknown statuses, from any writer", async () => {
    await store.write((trx) => insertMessage(trx, { ...base, messageId: "done", threadId: "t", status: "complete" }));
    await expect(store.write((trx) => setStatus(trx, "done", "processing", ""))).rejects.toBeInstanceOf(FailedPreconditionError);
    const external = new Database(file);
    expect(() => external.prepare("UPDATE messages SET status = 'pending' WHERE message_id = 'done'").run()).toThrow(/terminal status/);
    expect(() => external.prepare("INSERT INTO messages (message_id, thread_id, status) VALUES ('y', 't', 'DONE')").run()).toThrow(/invalid status/);
    external.close();
    expect((await messageEventsAfter(store.reader, "done", 0))).toHaveLength(1);
  });

  it("appends content and rejects unknown ids", async () => {
    await store.write((trx) => insertMessage(trx, { ...base, messageId: "a", threadId: "t", status: "processing" }));
    expect(await appendContent(store, "a", "héllo")).toBe(6);
    expect((await getMessage(store.reader, "a", { contentFrom: 0 })).content).toBe("héllo");
    expect((await getMessage(store.reader, "a", { contentFrom: 3 })).content).toBe("llo");
    await expect(appendContent(store, "zz", "x")).rejects.toBeInstanceOf(NotFoundError);
    await store.write((trx) => setStatus(trx, "a", "complete", ""));
    await expect(appendContent(store, "a", "x")).rejects.toThrow(/"a" is complete; its content is final/);
    expect((await getMessage(store.reader, "a", { contentFrom: 0 })).content).toBe("héllo");
  });

  it("runs a single-statement write on its own, never inside another caller's open transaction", async () => {
    await store.write((trx) => insertMessage(trx, { ...base, messageId: "a", threadId: "t", status: "processing" }));
    let inside!: () => void;
    const entered = new Promise<void>((resolve) => (inside = resolve));
    const failing = store.write(async (trx) => {
      await insertMessage(trx, { ...base, messageId: "rolled-back", threadId: "t", status: "pending" });
      inside();
      await new Promise((resolve) => setTimeout(resolve, 30));
      throw new Error("rolled back on purpose");
    });
    await entered;
    const appended = appendContent(store, "a", "kept"); // waits for the transaction to end
    await expect(failing).rejects.toThrow("rolled back on purpose");
    expect(await appended).toBe(4);
    expect((await getMessage(store.reader, "a", { contentFrom: 0 })).content).toBe("kept");
    await expect(getMessage(store.reader, "rolled-back")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("fails a single-statement write with StoreBusyError when another connection holds the lock past the busy timeout", async () => {
    await store.write((trx) => insertMessage(trx, { ...base, messageId: "a", threadId: "t", status: "processing" }));
    const holder = new Database(file);
    holder.exec("BEGIN IMMEDIATE");
    await expect(appendContent(store, "a", "x")).rejects.toBeInstanceOf(StoreBusyError);
    expect(store.health.serving).toBe(true); // another writer is not a sick store
    holder.exec("COMMIT");
    holder.close();
    expect(await appendContent(store, "a", "x")).toBe(1);
  });

  it("samples progress once per monitored message and clears the markers", async () => {
    await store.write(async (trx) => {
      await insertMessage(trx, { ...base, messageId: "a", threadId: "t", status: "processing" });
      await upsertMonitor(trx, { messageId: "a", timeoutMs: null, labels: {} });
    });
    await appendContent(store, "a", "one");
    await appendContent(store, "a", "two");
    const written = await store.write((trx) => sampleProgress(trx, () => 0));
    expect(written).toBe(1);
    expect(await store.write((trx) => sampleProgress(trx, () => 0))).toBe(0);
    const progress = (await messageEventsAfter(store.reader, "a", 0)).filter((e) => e.kind === "progress");
    expect(progress.map((e) => e.contentLength)).toEqual([6]);
  });

  it("samples progress in batches: only messages whose length moved get an event, each once", async () => {
    const ids = Array.from({ length: 950 }, (_, i) => `m${i}`); // more than two 400-id chunks
    await store.write(async (trx) => {
      for (const id of ids) {
        await insertMessage(trx, { ...base, messageId: id, threadId: "t", status: "processing" });
        await upsertMonitor(trx, { messageId: id, timeoutMs: null, labels: {} });
      }
    });
    for (const id of ids) await appendContent(store, id, "abc");
    // Every third message already had its length seen; one is no longer monitored.
    const known = (id: string) => (id === "m1" ? undefined : Number(id.slice(1)) % 3 === 0 ? 3 : 0);
    const written = await store.write((trx) => sampleProgress(trx, known));
    const expected = ids.filter((id) => id !== "m1" && Number(id.slice(1)) % 3 !== 0);
    expect(written).toBe(expected.length);
    const progress = await store.reader.all<{ message_id: string; content_length: number }>(
      "SELECT message_id, content_length FROM message_events WHERE kind = 'progress'",
    );
    expect(progress.map((r) => r.message_id).sort()).toEqual([...expected].sort());
    expect(new Set(progress.map((r) => r.content_length))).toEqual(new Set([3]));
    expect(await store.reader.get("SELECT 1 FROM content_changes LIMIT 1")).toBeUndefined();
  });

  it("copies the WAL into the database file from its checkpointer thread, not the writer", async () => {
    const big = "x".repeat(100_000);
    // About 1,500 pages in one transaction: past SQLite's default auto-checkpoint (1,000),
    // below the writer's backstop (4,000), so only the checkpointer thread can copy them.
    await store.write(async (trx) => {
      for (let i = 0; i < 60; i++) await insertMessage(trx, { ...base, messageId: `big${i}`, threadId: "t", status: "pending", content: big });
    });
    const sizeOf = (f: string) => {
      try {
        return fs.statSync(f).size;
      } catch {
        return 0;
      }
    };
    expect(sizeOf(`${file}-wal`)).toBeGreaterThan(5_000_000);
    // A database file past 5 MB may still be mid-copy or mid-fsync, and then the next write
    // appends to the WAL instead of starting it over: wait for the complete checkpoint.
    expect(await walBackfilled(file)).toBe(true);
    expect(sizeOf(file)).toBeGreaterThan(5_000_000);
    // The next write starts the WAL over from its beginning: it does not keep growing.
    const walBefore = sizeOf(`${file}-wal`);
    await store.write((trx) => insertMessage(trx, { ...base, messageId: "after", threadId: "t", status: "pending", content: big }));
    expect(sizeOf(`${file}-wal`)).toBe(walBefore);
    const outside = new Database(file);
    const frames = outside.pragma("wal_checkpoint(PASSIVE)") as Array<{ log: number }>;
    outside.close();
    expect(frames[0]!.log).toBeLessThan(100); // frames in the WAL now: only the last write's
  });

  it("looks for commits less often while idle, and checkpoints a write that comes after an idle spell", async () => {
    // The schedule: doubling waits while nothing is committed, back to the short one after a commit.
    const waits = [CHECK_EVERY_MS];
    for (let i = 0; i < 6; i++) waits.push(nextCheckDelay(waits.at(-1)!, false, CHECK_EVERY_MS, IDLE_CHECK_EVERY_MS));
    expect(waits).toEqual([100, 200, 400, 800, 1600, 1600, 1600]);
    expect(nextCheckDelay(IDLE_CHECK_EVERY_MS, true, CHECK_EVERY_MS, IDLE_CHECK_EVERY_MS)).toBe(CHECK_EVERY_MS);
    // The worker runs that schedule: after 3 s idle its longest wait is reached (a second
    // checkpointer on the same file reports its waits), and a large write is still copied
    // into the database file, after which the worker looks often again.
    const watched = new SqliteCheckpointer(file);
    try {
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect(watched.lookWaitMs).toBe(IDLE_CHECK_EVERY_MS);
      const big = "x".repeat(100_000);
      await store.write(async (trx) => {
        for (let i = 0; i < 60; i++) await insertMessage(trx, { ...base, messageId: `late${i}`, threadId: "t", status: "pending", content: big });
      });
      expect(await walBackfilled(file)).toBe(true);
      expect(fs.statSync(file).size).toBeGreaterThan(5_000_000);
      for (const end = Date.now() + 5000; watched.lookWaitMs !== CHECK_EVERY_MS && Date.now() < end; ) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(watched.lookWaitMs).toBe(CHECK_EVERY_MS);
    } finally {
      await watched.close();
    }
  });

  it("fails a write with StoreBusyError when another connection holds the lock past the busy timeout", async () => {
    const holder = new Database(file);
    holder.exec("BEGIN IMMEDIATE");
    const started = performance.now();
    await expect(
      store.write((trx) => insertMessage(trx, { ...base, messageId: "b", threadId: "t", status: "pending" })),
    ).rejects.toBeInstanceOf(StoreBusyError);
    expect(performance.now() - started).toBeGreaterThanOrEqual(150);
    holder.exec("COMMIT");
    holder.close();
    await store.write((trx) => insertMessage(trx, { ...base, messageId: "b", threadId: "t", status: "pending" }));
  });

  it("never fails a read-then-write transaction with BUSY_SNAPSHOT when another process commits in between", async () => {
    await store.write((trx) => insertMessage(trx, { ...base, messageId: "c", threadId: "t", status: "processing" }));
    const other = new Database(file);
    other.pragma("busy_timeout = 2000");
    const writes = Array.from({ length: 50 }, (_, i) =>
      store.write(async (trx) => {
        const row = (await trx("messages").select("content").where("message_id", "c").first()) as { content: string };
        if (i % 5 === 0) await new Promise((r) => setTimeout(r, 1));
        await trx("messages").update({ content: `${row.content}a` }).where("message_id", "c");
      }),
    );
    for (let i = 0; i < 50; i++) other.prepare("UPDATE messages SET metadata = ? WHERE message_id = 'c'").run(String(i));
    await Promise.all(writes);
    other.close();
    expect((await getMessage(store.reader, "c")).contentLength).toBe(50);
  });
});
