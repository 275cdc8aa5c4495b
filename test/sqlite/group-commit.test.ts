import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FailedPreconditionError, NotFoundError } from "../../src/common/errors.js";
import { messageEventsAfter } from "../../src/store/events.js";
import { setStatusReturning } from "../../src/store/hot-writes.js";
import { appendContent, getMessage, insertMessage } from "../../src/store/messages.js";
import { openStore, type Store } from "../../src/store/open-store.js";
import { makeTempHome } from "../helpers/temp-home.js";

const base = { module: "m", type: "t", content: "", metadata: null } as const;

describe("group commit (SQLite)", () => {
  let temp: ReturnType<typeof makeTempHome>;
  let store: Store;
  let file: string;

  beforeEach(async () => {
    temp = makeTempHome();
    file = path.join(temp.home, "comms.db");
    store = await openStore({ path: file, busyTimeoutMs: 500, synchronous: "FULL" });
    await store.write(async (trx) => {
      for (let i = 0; i < 20; i++) await insertMessage(trx, { ...base, messageId: `m${i}`, threadId: "t", status: "pending" });
      await insertMessage(trx, { ...base, messageId: "done", threadId: "t", status: "complete" });
    });
  });

  afterEach(async () => {
    await store.close();
    temp.cleanup();
  });

  it("commits concurrent writes together: one change notification for the group", async () => {
    let commits = 0;
    store.onChange(() => commits++);
    const written = await Promise.all(
      Array.from({ length: 20 }, (_, i) => setStatusReturning(store, `m${i}`, "processing", "")),
    );
    expect(written.map((m) => m.status)).toEqual(Array(20).fill("processing"));
    expect(commits).toBe(1);
    for (let i = 0; i < 20; i++) expect((await getMessage(store.reader, `m${i}`)).status).toBe("processing");
  });

  it("fails one write of a group alone: the others commit, each with its own outcome", async () => {
    const outcomes = await Promise.allSettled([
      setStatusReturning(store, "m0", "processing", ""),
      setStatusReturning(store, "done", "pending", ""), // leaves a terminal status: refused
      appendContent(store, "m1", "hello"),
      setStatusReturning(store, "missing", "failed", ""),
      appendContent(store, "done", "late"), // content of a terminal message: refused
      setStatusReturning(store, "m2", "failed", "broke"),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled", "rejected", "rejected", "fulfilled"]);
    expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(FailedPreconditionError);
    expect((outcomes[3] as PromiseRejectedResult).reason).toBeInstanceOf(NotFoundError);
    expect((outcomes[4] as PromiseRejectedResult).reason).toBeInstanceOf(FailedPreconditionError);
    expect((outcomes[2] as PromiseFulfilledResult<number>).value).toBe(5);
    const failed = (outcomes[5] as PromiseFulfilledResult<{ status: string; error: string; completedAt: number | null }>).value;
    expect(failed).toMatchObject({ status: "failed", error: "broke" });
    expect(failed.completedAt).not.toBeNull();
    expect((await getMessage(store.reader, "done")).status).toBe("complete");
    expect((await getMessage(store.reader, "m0")).status).toBe("processing");
    // The log holds exactly the committed transitions, in order.
    const kinds = (id: string) => messageEventsAfter(store.reader, id, 0).then((es) => es.map((e) => `${e.kind}:${e.toStatus}`));
    expect(await kinds("m0")).toEqual(["created:pending", "status_changed:processing"]);
    expect(await kinds("m2")).toEqual(["created:pending", "status_changed:failed"]);
    expect(await kinds("done")).toEqual(["created:complete"]);
  });

  it("returns the message as committed, and setting the same status again changes nothing", async () => {
    const first = await setStatusReturning(store, "m3", "processing", "");
    const again = await setStatusReturning(store, "m3", "processing", "");
    expect(again).toEqual(first);
    expect((await messageEventsAfter(store.reader, "m3", 0)).length).toBe(2);
  });

  it("acknowledges a write only once it is committed: another connection sees it at once", async () => {
    await Promise.all([setStatusReturning(store, "m4", "processing", ""), setStatusReturning(store, "m5", "complete", "")]);
    const other = new Database(file, { readonly: true });
    try {
      const rows = other.prepare("SELECT message_id, status FROM messages WHERE message_id IN ('m4', 'm5') ORDER BY message_id").all();
      expect(rows).toEqual([
        { message_id: "m4", status: "processing" },
        { message_id: "m5", status: "complete" },
      ]);
    } finally {
      other.close();
    }
  });
});
