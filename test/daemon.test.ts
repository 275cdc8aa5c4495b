import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventKind, MessageStatus, type Event } from "../gen/claude_comms/v1/message_pb.js";
import { connectClients, type TestClients } from "./helpers/clients.js";
import { collect, until } from "./helpers/collect.js";
import { DAEMON_MAIN, startDaemonProcess, type DaemonProcess } from "./helpers/daemon-process.js";
import { makeTempHome } from "./helpers/temp-home.js";
import { onPostgres } from "./helpers/test-store.js";

describe("daemon process", () => {
  const temp = makeTempHome();
  let daemon: DaemonProcess;
  let c: TestClients;

  beforeAll(async () => {
    daemon = await startDaemonProcess(temp.home, ["--interval", "0.1", "--heartbeat", "300ms", "--retention", "2s"]);
    c = connectClients(daemon.socket);
  });

  afterAll(async () => {
    await daemon?.stop();
    temp.cleanup();
  });

  it("listens on a 0600 socket in a 0700 home and reports its status", async () => {
    expect(fs.statSync(temp.home).mode & 0o777).toBe(0o700);
    expect(fs.statSync(daemon.socket).mode & 0o777).toBe(0o600);
    const status = await c.polling.getDaemonStatus({});
    expect(status.pid).toBe(daemon.pid);
    expect(status.listen).toEqual([`unix:${daemon.socket}`]);
    if (onPostgres) expect(status.store).toMatch(/^postgres:\/\//);
    else expect(status.store).toBe(`sqlite:${path.join(temp.home, "comms.db")}`);
  });

  it("reports a head_seq that includes every write acknowledged before the call", async () => {
    // Each status change logs one event; the head read right after it must count it, or a
    // client watching after that head would be replayed its own write.
    await c.messages.createMessage({ threadId: "t-head", messageId: "head-1", module: "marker" });
    let head = (await c.polling.getDaemonStatus({})).headSeq;
    for (let i = 0; i < 40; i++) {
      await c.messages.setStatus({ messageId: "head-1", status: i % 2 ? MessageStatus.PENDING : MessageStatus.PROCESSING });
      const next = (await c.polling.getDaemonStatus({})).headSeq;
      expect(next, `write ${i + 1}: the head did not move past ${head}`).toBeGreaterThan(head);
      head = next;
    }
  });

  it("streams PROCESSING, progress and COMPLETE of an API-driven message, then ends OK", async () => {
    await c.messages.createMessage({ threadId: "t-api", messageId: "api-1", module: "marker" });
    await c.polling.addMessage({ messageId: "api-1" });
    const watching = collect(c.polling.watchMessage({ messageId: "api-1" }));
    await new Promise((r) => setTimeout(r, 100));
    await c.messages.setStatus({ messageId: "api-1", status: MessageStatus.PROCESSING });
    await c.messages.appendContent({ messageId: "api-1", content: "partial " });
    await new Promise((r) => setTimeout(r, 250));
    await c.messages.appendContent({ messageId: "api-1", content: "answer" });
    await new Promise((r) => setTimeout(r, 250));
    await c.messages.setStatus({ messageId: "api-1", status: MessageStatus.COMPLETE });
    const { events, error } = await watching;
    expect(error).toBeUndefined();
    const kinds = events.filter((e) => e.kind !== EventKind.HEARTBEAT).map((e) => e.kind);
    expect(kinds[0]).toBe(EventKind.SNAPSHOT);
    expect(kinds).toContain(EventKind.PROGRESS);
    const last = events[events.length - 1]!;
    expect(last.kind).toBe(EventKind.STATUS_CHANGED);
    expect(last.toStatus).toBe(MessageStatus.COMPLETE);
    expect(last.contentLength).toBe(14n);
    const seqs = events.filter((e) => e.kind !== EventKind.HEARTBEAT && e.kind !== EventKind.SNAPSHOT).map((e) => e.seq);
    expect([...seqs].sort((a, b) => (a < b ? -1 : 1))).toEqual(seqs);
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  it("samples the progress of a fast stream at most every 20 ms, ending on its final length", async () => {
    await c.messages.createMessage({ threadId: "t-api", messageId: "api-fast", status: MessageStatus.PROCESSING });
    await c.polling.addMessage({ messageId: "api-fast" });
    const progress: Event[] = [];
    const watching = collect(c.polling.watchMessage({ messageId: "api-fast" }), (e) => {
      if (e.kind === EventKind.PROGRESS) progress.push(e);
    });
    await new Promise((r) => setTimeout(r, 100));
    const started = performance.now();
    let length = 0n;
    for (let i = 0; i < 200; i++) length = (await c.messages.appendContent({ messageId: "api-fast", content: "token " })).contentLength;
    await until(() => progress.at(-1)?.contentLength === length);
    const sampledMs = performance.now() - started;
    await c.messages.setStatus({ messageId: "api-fast", status: MessageStatus.COMPLETE });
    expect((await watching).error).toBeUndefined();
    // Each sample is one event, taken at least 20 ms after the one before it.
    expect(progress.length).toBeLessThanOrEqual(Math.floor(sampledMs / 20) + 1);
    expect(progress.length).toBeLessThan(200);
    const lengths = progress.map((e) => e.contentLength);
    expect([...lengths].sort((a, b) => (a < b ? -1 : 1))).toEqual(lengths);
    expect(new Set(lengths).size).toBe(lengths.length);
  });

  it("times a message out at its deadline and tells the watcher", async () => {
    await c.messages.createMessage({ threadId: "t-dl", messageId: "dl-1", status: MessageStatus.PROCESSING });
    await c.polling.addMessage({ messageId: "dl-1", timeout: { seconds: 0n, nanos: 400_000_000 } });
    const { events, error } = await collect(c.polling.watchMessage({ messageId: "dl-1" }));
    expect(error).toBeUndefined();
    const last = events[events.length - 1]!;
    expect(last.toStatus).toBe(MessageStatus.TIMED_OUT);
    expect(last.detail).toMatch(/deadline exceeded/);
    const shown = await c.polling.showMessage({ messageId: "dl-1" });
    expect(shown.message?.status).toBe(MessageStatus.TIMED_OUT);
  });

  it("replays exactly the missed events when resuming with after_seq", async () => {
    await c.messages.createMessage({ threadId: "t-res", messageId: "res-1" });
    await c.polling.addMessage({ messageId: "res-1" });
    const first = await c.polling.showMessage({ messageId: "res-1" });
    const resumeFrom = first.history[first.history.length - 1]!.seq;
    await c.messages.setStatus({ messageId: "res-1", status: MessageStatus.PROCESSING });
    await c.messages.appendContent({ messageId: "res-1", content: "x".repeat(10) });
    await c.messages.setStatus({ messageId: "res-1", status: MessageStatus.FAILED, error: "boom" });
    const { history } = await c.polling.showMessage({ messageId: "res-1" });
    const missed = history.filter((e) => e.seq > resumeFrom && e.kind === EventKind.STATUS_CHANGED);
    const { events, error } = await collect(c.polling.watchMessage({ messageId: "res-1", afterSeq: resumeFrom }));
    expect(error).toBeUndefined();
    expect(events.map((e) => e.seq)).toEqual(history.filter((e) => e.seq > resumeFrom).map((e) => e.seq).slice(0, events.length));
    expect(events.filter((e) => e.kind === EventKind.STATUS_CHANGED).map((e) => e.seq)).toEqual(missed.map((e) => e.seq));
    expect(events[events.length - 1]!.detail).toBe("boom");
  });

  it("sends heartbeats with the current seq while idle", async () => {
    await c.messages.createMessage({ threadId: "t-hb", messageId: "hb-1" });
    const controller = new AbortController();
    const beats: bigint[] = [];
    const watching = collect(c.polling.watchMessage({ messageId: "hb-1" }, { signal: controller.signal }), (e) => {
      if (e.kind === EventKind.HEARTBEAT) beats.push(e.seq);
      if (beats.length >= 2) controller.abort();
    });
    const { error } = await watching;
    expect(ConnectError.from(error).code).toBe(Code.Canceled);
    expect(beats.length).toBe(2);
    expect(beats[0]).toBeGreaterThan(0n);
  });

  it("unregisters finished messages after the retention with an UNREGISTERED event", async () => {
    await c.messages.createMessage({ threadId: "t-ret", messageId: "ret-1", status: MessageStatus.COMPLETE });
    await c.polling.addMessage({ messageId: "ret-1" });
    await until(async () => !(await c.polling.showMessage({ messageId: "ret-1" })).message?.monitor, 8000);
    const { history } = await c.polling.showMessage({ messageId: "ret-1" });
    expect(history[history.length - 1]).toMatchObject({ kind: EventKind.UNREGISTERED, detail: "expired" });
  });

  it("refuses a second daemon on the same home and says where the first one is", () => {
    let failure: { status: number | null; stderr: string } | undefined;
    try {
      execFileSync(process.execPath, [DAEMON_MAIN, "--home", temp.home, "--log-file", "-"], { stdio: "pipe", timeout: 10_000 });
    } catch (err) {
      const e = err as { status: number | null; stderr: Buffer };
      failure = { status: e.status, stderr: e.stderr.toString() };
    }
    expect(failure?.status).toBe(3);
    expect(failure?.stderr).toContain(`already running (pid ${daemon.pid}) at ${daemon.socket}`);
  });
});

describe("daemon graceful stop", () => {
  it("ends open watches UNAVAILABLE with the seq to resume from, exits 0 and removes the socket", async () => {
    const temp = makeTempHome();
    const daemon = await startDaemonProcess(temp.home, ["--heartbeat", "10s"]);
    const c = connectClients(daemon.socket);
    await c.messages.createMessage({ threadId: "t", messageId: "stop-1", status: MessageStatus.PROCESSING });
    const watching = collect(c.polling.watchMessage({ messageId: "stop-1" }));
    await new Promise((r) => setTimeout(r, 200));
    const code = await daemon.stop();
    const { events, error } = await watching;
    expect(code).toBe(0);
    expect(events[0]?.kind).toBe(EventKind.SNAPSHOT);
    const err = ConnectError.from(error);
    expect(err.code).toBe(Code.Unavailable);
    expect(err.rawMessage).toMatch(/resume with after_seq=\d+/);
    expect(fs.existsSync(daemon.socket)).toBe(false);
    expect(fs.existsSync(path.join(temp.home, "daemon.pid"))).toBe(false);
    temp.cleanup();
  });

  it("stops on StopDaemon and keeps every acknowledged write across a restart", async () => {
    const temp = makeTempHome();
    let daemon = await startDaemonProcess(temp.home);
    let c = connectClients(daemon.socket);
    await c.messages.createMessage({ threadId: "t", messageId: "keep-1", content: "kept" });
    await c.polling.stopDaemon({});
    expect(await daemon.exited).toBe(0);
    daemon = await startDaemonProcess(temp.home);
    c = connectClients(daemon.socket);
    const shown = await c.polling.showMessage({ messageId: "keep-1", includeContent: true });
    expect(shown.message?.content).toBe("kept");
    await daemon.stop();
    temp.cleanup();
  });
});
