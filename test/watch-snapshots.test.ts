import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventKind, MessageStatus, type Event } from "../gen/claude_comms/v1/message_pb.js";
import { connectClients, type TestClients } from "./helpers/clients.js";
import { collect, until } from "./helpers/collect.js";
import { startDaemonProcess, type DaemonProcess } from "./helpers/daemon-process.js";
import { makeTempHome } from "./helpers/temp-home.js";

describe("watching through a real daemon", () => {
  const temp = makeTempHome();
  let daemon: DaemonProcess;
  let c: TestClients;

  beforeAll(async () => {
    daemon = await startDaemonProcess(temp.home, ["--interval", "0.1", "--heartbeat", "200ms"]);
    c = connectClients(daemon.socket);
  });

  afterAll(async () => {
    await daemon?.stop();
    temp.cleanup();
  });

  /** Watches until `done` says so (or 20 s pass), then cancels; returns the events. */
  async function watchUntil(stream: (signal: AbortSignal) => AsyncIterable<{ event?: Event }>, done: (events: Event[]) => boolean) {
    const controller = new AbortController();
    const seen: Event[] = [];
    const timer = setTimeout(() => controller.abort(), 20_000);
    const result = await collect(stream(controller.signal), (e) => {
      seen.push(e);
      if (done(seen)) controller.abort();
    });
    clearTimeout(timer);
    return result;
  }

  it("WatchMessage of a message nobody registered shows it grow before it completes", async () => {
    await c.messages.createMessage({ threadId: "t-grow", messageId: "grow-1", status: MessageStatus.PROCESSING });
    const progress: bigint[] = [];
    const watching = collect(c.polling.watchMessage({ messageId: "grow-1" }), (e) => {
      if (e.kind === EventKind.PROGRESS) progress.push(e.contentLength);
    });
    await until(async () => (await c.polling.getDaemonStatus({})).watchers > 0);
    for (const part of ["The answer ", "is ", "forty-two."]) {
      const before = progress.length;
      const { contentLength } = await c.messages.appendContent({ messageId: "grow-1", content: part });
      await until(() => progress.length > before && progress.at(-1) === contentLength);
    }
    await c.messages.setStatus({ messageId: "grow-1", status: MessageStatus.COMPLETE });
    const { events, error } = await watching;
    expect(error).toBeUndefined();
    const kinds = events.filter((e) => e.kind !== EventKind.HEARTBEAT).map((e) => e.kind);
    expect(kinds).toEqual([EventKind.SNAPSHOT, EventKind.PROGRESS, EventKind.PROGRESS, EventKind.PROGRESS, EventKind.STATUS_CHANGED]);
    expect(progress).toEqual([11n, 14n, 24n]);
    const { message } = await c.polling.showMessage({ messageId: "grow-1" });
    expect(message?.monitor).toBeUndefined(); // still not registered: watching was enough
  });

  it("WatchMessages with send_initial_snapshots opens with one SNAPSHOT per matching message, then a HEARTBEAT, then live events", async () => {
    await c.messages.createMessage({ threadId: "t-snap", messageId: "snap-a", status: MessageStatus.PROCESSING });
    await c.messages.appendContent({ messageId: "snap-a", content: "half" });
    await c.messages.createMessage({ threadId: "t-snap", messageId: "snap-b", status: MessageStatus.COMPLETE });
    await c.messages.createMessage({ threadId: "t-elsewhere", messageId: "snap-x", status: MessageStatus.PROCESSING });
    const watching = watchUntil(
      (signal) => c.polling.watchMessages({ threadId: "t-snap", sendInitialSnapshots: true }, { signal }),
      (events) => events.some((e) => e.kind === EventKind.STATUS_CHANGED),
    );
    await until(async () => (await c.polling.getDaemonStatus({})).watchers > 0);
    await c.messages.setStatus({ messageId: "snap-x", status: MessageStatus.COMPLETE }); // another thread
    await c.messages.setStatus({ messageId: "snap-a", status: MessageStatus.COMPLETE });
    const { events, error } = await watching;
    expect(ConnectError.from(error).code).toBe(Code.Canceled);
    const [a, b, heartbeat, ...live] = events;
    expect([a?.kind, a?.messageId, a?.toStatus, a?.contentLength, a?.message?.messageId]).toEqual([
      EventKind.SNAPSHOT, "snap-a", MessageStatus.PROCESSING, 4n, "snap-a",
    ]);
    expect([b?.kind, b?.messageId, b?.toStatus]).toEqual([EventKind.SNAPSHOT, "snap-b", MessageStatus.COMPLETE]);
    expect(heartbeat?.kind).toBe(EventKind.HEARTBEAT);
    expect(b?.seq).toBe(a?.seq);
    expect(heartbeat?.seq).toBe(a?.seq);
    const changes = live.filter((e) => e.kind !== EventKind.HEARTBEAT);
    expect(changes.map((e) => [e.kind, e.messageId, e.toStatus])).toEqual([[EventKind.STATUS_CHANGED, "snap-a", MessageStatus.COMPLETE]]);
    expect(changes[0]!.seq).toBeGreaterThan(a!.seq);
  });

  it("has no gap and no duplicate between the snapshots and the live events while writes go on", async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `race-${i}`);
    for (const id of ids) await c.messages.createMessage({ threadId: "t-race", messageId: id, status: MessageStatus.PENDING });
    // Move every message to processing while the watch starts: each change lands either
    // before the snapshot (which then shows processing) or after it (a live event), once.
    const moving = (async () => {
      for (const id of ids) await c.messages.setStatus({ messageId: id, status: MessageStatus.PROCESSING });
    })();
    const { events } = await watchUntil(
      (signal) => c.polling.watchMessages({ threadId: "t-race", sendInitialSnapshots: true }, { signal }),
      (seen) => {
        const heartbeat = seen.findIndex((e) => e.kind === EventKind.HEARTBEAT);
        if (heartbeat < 0) return false;
        const pending = seen.slice(0, heartbeat).filter((e) => e.toStatus === MessageStatus.PENDING).length;
        return seen.slice(heartbeat).filter((e) => e.kind === EventKind.STATUS_CHANGED).length >= pending;
      },
    );
    await moving;
    const end = events.findIndex((e) => e.kind === EventKind.HEARTBEAT);
    const snapshots = events.slice(0, end);
    expect(snapshots.map((e) => e.messageId)).toEqual(ids);
    const live = events.slice(end).filter((e) => e.kind === EventKind.STATUS_CHANGED);
    const wasPending = snapshots.filter((e) => e.toStatus === MessageStatus.PENDING).map((e) => e.messageId);
    expect(live.map((e) => e.messageId).sort()).toEqual([...wasPending].sort());
    expect(live.every((e) => e.seq > snapshots[0]!.seq)).toBe(true);
  });

  it("refuses initial snapshots together with after_seq, and more than 1,000 matching messages, saying what to do", async () => {
    const both = await collect(c.polling.watchMessages({ threadId: "t-snap", sendInitialSnapshots: true, afterSeq: 1n }));
    expect(ConnectError.from(both.error).code).toBe(Code.InvalidArgument);
    expect(ConnectError.from(both.error).rawMessage).toMatch(/cannot be combined with after_seq/);
    const writes: Array<Promise<unknown>> = [];
    for (let i = 0; i < 1001; i++) {
      writes.push(c.messages.createMessage({ threadId: "t-big", messageId: `big-${i}` }));
      if (writes.length >= 50) await Promise.all(writes.splice(0));
    }
    await Promise.all(writes);
    const many = await collect(c.polling.watchMessages({ threadId: "t-big", sendInitialSnapshots: true }));
    expect(ConnectError.from(many.error).code).toBe(Code.FailedPrecondition);
    expect(ConnectError.from(many.error).rawMessage).toMatch(/more than 1000 messages match; narrow the watch/);
    expect(many.events).toEqual([]);
    const narrowed = await watchUntil(
      (signal) => c.polling.watchMessages({ threadId: "t-big", messageIds: ["big-7"], sendInitialSnapshots: true }, { signal }),
      (seen) => seen.some((e) => e.kind === EventKind.HEARTBEAT),
    );
    expect(narrowed.events.map((e) => [e.kind, e.messageId])).toEqual([[EventKind.SNAPSHOT, "big-7"], [EventKind.HEARTBEAT, ""]]);
  }, 120_000);
});
