import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventKind, MessageStatus, type Event } from "../gen/claude_comms/v1/message_pb.js";
import { connectClients, type TestClients } from "./helpers/clients.js";
import { collect, until } from "./helpers/collect.js";
import { startDaemonProcess, type DaemonProcess } from "./helpers/daemon-process.js";
import { makeTempHome } from "./helpers/temp-home.js";

describe("WatchMessages", () => {
  const temp = makeTempHome();
  let daemon: DaemonProcess;
  let c: TestClients;

  beforeAll(async () => {
    daemon = await startDaemonProcess(temp.home, ["--interval", "0.1", "--heartbeat", "200ms", "--watch-queue", "50"]);
    c = connectClients(daemon.socket);
  });

  afterAll(async () => {
    await daemon?.stop();
    temp.cleanup();
  });

  it("streams only matching events of many messages over one stream, starting at the head", async () => {
    const controller = new AbortController();
    const got: Event[] = [];
    const watching = collect(
      c.polling.watchMessages({ threadId: "t-many", statuses: [MessageStatus.COMPLETE] }, { signal: controller.signal }),
      (e) => {
        if (e.kind !== EventKind.HEARTBEAT) got.push(e);
        if (got.length === 3) controller.abort();
      },
    );
    await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 3; i++) {
      await c.messages.createMessage({ threadId: "t-many", messageId: `many-${i}`, status: MessageStatus.PROCESSING });
      await c.messages.createMessage({ threadId: "t-other", messageId: `other-${i}`, status: MessageStatus.PROCESSING });
      await c.messages.setStatus({ messageId: `other-${i}`, status: MessageStatus.COMPLETE });
      await c.messages.setStatus({ messageId: `many-${i}`, status: MessageStatus.COMPLETE });
    }
    const { events, error } = await watching;
    expect(ConnectError.from(error).code).toBe(Code.Canceled);
    expect(events[0]!.kind).toBe(EventKind.HEARTBEAT);
    expect(got.map((e) => e.messageId)).toEqual(["many-0", "many-1", "many-2"]);
    expect(got.every((e) => e.toStatus === MessageStatus.COMPLETE)).toBe(true);
  });

  it("filters by module and labels, and resumes after a seq with exactly the later matching events", async () => {
    await c.messages.createMessage({ threadId: "t-lab", messageId: "lab-a", module: "marker" });
    await c.messages.createMessage({ threadId: "t-lab", messageId: "lab-b", module: "arangodb" });
    const start = (await c.polling.getDaemonStatus({})).headSeq;
    await c.polling.addMessage({ messageId: "lab-a", labels: { team: "red" } });
    await c.polling.addMessage({ messageId: "lab-b", labels: { team: "red" } });
    for (const id of ["lab-a", "lab-b"]) await c.messages.setStatus({ messageId: id, status: MessageStatus.FAILED, error: "x" });
    await until(async () => (await c.polling.getDaemonStatus({})).headSeq >= start + 4n);
    const controller = new AbortController();
    const got: Event[] = [];
    await collect(
      c.polling.watchMessages({ module: "marker", labels: { team: "red" }, afterSeq: start }, { signal: controller.signal }),
      (e) => {
        if (e.kind !== EventKind.HEARTBEAT) got.push(e);
        else controller.abort();
      },
    );
    expect(got.map((e) => [e.messageId, e.kind])).toEqual([
      ["lab-a", EventKind.REGISTERED],
      ["lab-a", EventKind.STATUS_CHANGED],
    ]);
    expect(got[0]!.seq).toBeGreaterThan(start);
  });

  it("cuts off a watcher that reads nothing with RESOURCE_EXHAUSTED and the seq to resume after", async () => {
    const stream = c.polling.watchMessages({ threadId: "t-slow" })[Symbol.asyncIterator]();
    const first = await stream.next(); // the starting heartbeat
    expect(first.value?.event?.kind).toBe(EventKind.HEARTBEAT);
    // Long ids make big events, so HTTP/2 flow control stops the daemon's writes to this
    // stream and events queue up in the daemon, past the queue limit (50).
    const pad = "p".repeat(240);
    const writes: Array<Promise<unknown>> = [];
    for (let i = 0; i < 3000; i++) {
      writes.push(c.messages.createMessage({ threadId: "t-slow", messageId: `${pad}-${i}` }));
      if (writes.length >= 50) await Promise.all(writes.splice(0));
    }
    await Promise.all(writes);
    let received = 0;
    let error: unknown;
    const readAll = async () => {
      for (;;) {
        const next = await stream.next();
        if (next.done) return;
        received++;
      }
    };
    await Promise.race([readAll().catch((err) => (error = err)), new Promise((r) => setTimeout(r, 10_000))]);
    const err = ConnectError.from(error);
    expect(Code[err.code]).toBe(Code[Code.ResourceExhausted]);
    expect(err.rawMessage).toMatch(/fell behind .*resume with after_seq=\d+/);
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(3000);
    const status = await c.polling.getDaemonStatus({});
    expect(status.pid).toBe(daemon.pid);
    expect(status.watchers).toBe(0);
  });

  it("rejects bad filters with INVALID_ARGUMENT", async () => {
    const { error } = await collect(c.polling.watchMessages({ statuses: [MessageStatus.UNSPECIFIED] }));
    expect(ConnectError.from(error).code).toBe(Code.InvalidArgument);
  });
});

describe("history retention", () => {
  it("compacts old events and answers OUT_OF_RANGE, with the oldest seq, to a resume from before them", async () => {
    const temp = makeTempHome();
    const daemon = await startDaemonProcess(temp.home, ["--interval", "0.05", "--history-retention", "300ms"]);
    const c = connectClients(daemon.socket);
    try {
      await c.messages.createMessage({ threadId: "t", messageId: "old-1" });
      await c.messages.setStatus({ messageId: "old-1", status: MessageStatus.PROCESSING });
      await until(async () => (await c.polling.showMessage({ messageId: "old-1" })).history.length === 0, 10_000);
      const many = await collect(c.polling.watchMessages({ afterSeq: 0n }));
      const one = await collect(c.polling.watchMessage({ messageId: "old-1", afterSeq: 0n }));
      for (const { error } of [many, one]) {
        const err = ConnectError.from(error);
        expect(err.code).toBe(Code.OutOfRange);
        expect(err.rawMessage).toMatch(/oldest available seq 3/);
        expect(err.metadata.get("x-oldest-seq")).toBe("3");
      }
      const fresh = c.polling.watchMessage({ messageId: "old-1" })[Symbol.asyncIterator]();
      expect((await fresh.next()).value?.event?.kind).toBe(EventKind.SNAPSHOT);
      await fresh.return?.();
    } finally {
      await daemon.stop();
      temp.cleanup();
    }
  });
});
