// README "Reliability", row 6 (time): wall-clock jumps under libfaketime; deadlines use the monotonic clock.
// Prints one line of figures.
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EventKind, MessageStatus } from "../../gen/claude_comms/v1/message_pb.js";
import { connectClients, type TestClients } from "../helpers/clients.js";
import { startDaemonProcess, type DaemonProcess } from "../helpers/daemon-process.js";
import { requireFile } from "../helpers/require-tool.js";
import { makeTempHome } from "../helpers/temp-home.js";
import { count, figures, fixture, killChildren, openReadOnly, sleep, spawnNode } from "./lib/kit.js";
import { checkWatcher, readLog, ResumingWatcher } from "./lib/watchers.js";

/*
 * The daemon runs under libfaketime (Debian package faketime) with the wall clock read from a
 * file the test rewrites; the monotonic clock stays real (FAKETIME_DONT_FAKE_MONOTONIC), as
 * with an NTP step or an operator setting the date.
 */
/** Where Debian puts libfaketime, per architecture. */
const LIBFAKETIME = ["/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1", "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1", "/usr/lib/faketime/libfaketime.so.1"];
const JUMPS = ["+1h", "-1d", "+2d", "-30m", "+0"];

/** Milliseconds between an event's `time` and real time: how far the daemon's wall clock was moved. */
function skewMs(e: { time?: { seconds: bigint; nanos: number } }, realMs: number): number {
  return e.time ? Number(e.time.seconds) * 1000 + e.time.nanos / 1e6 - realMs : 0;
}

describe("clock jumps", () => {
  const temp = makeTempHome("ccf-clock-");
  let daemon: DaemonProcess | undefined;
  afterAll(async () => {
    killChildren();
    await daemon?.stop();
    temp.cleanup();
  });

  it("keeps seq order and times messages out by the monotonic clock while the wall clock jumps", async () => {
    const libfaketime = requireFile(LIBFAKETIME, "faketime");
    const clockFile = path.join(temp.home, "faketime");
    fs.writeFileSync(clockFile, "+0");
    daemon = await startDaemonProcess(temp.home, ["--interval", "0.05", "--heartbeat", "200ms"], {
      LD_PRELOAD: libfaketime,
      FAKETIME_TIMESTAMP_FILE: clockFile,
      FAKETIME_NO_CACHE: "1",
      FAKETIME_DONT_FAKE_MONOTONIC: "1",
    });
    const c: TestClients = connectClients(daemon.socket);
    const watchers = [
      new ResumingWatcher("many", (afterSeq, signal) => c.polling.watchMessages({ afterSeq }, { signal })),
      new ResumingWatcher("one", (afterSeq, signal) => c.polling.watchMessage({ messageId: "ck-4s", afterSeq }, { signal })),
    ];
    for (const w of watchers) void w.run();
    // Messages with timeouts, registered at real times we note (before the call: a lower bound).
    const registered: Record<string, { at: number; timeoutMs: number }> = {};
    const register = async (id: string, timeoutMs: number) => {
      await c.messages.createMessage({ threadId: "ck", messageId: id, status: MessageStatus.PROCESSING });
      registered[id] = { at: performance.now(), timeoutMs };
      await c.polling.addMessage({ messageId: id, timeout: { seconds: BigInt(Math.floor(timeoutMs / 1000)), nanos: (timeoutMs % 1000) * 1e6 } });
    };
    await register("ck-4s", 4000);
    await register("ck-1500", 1500);
    // Writers keep producing events while the clock moves.
    let writing = true;
    const writes: Record<string, number> = {};
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        const id = `ck-w${i}`;
        await c.messages
          .createMessage({ threadId: "ck-w", messageId: id })
          .then(() => c.messages.setStatus({ messageId: id, status: MessageStatus.PROCESSING }))
          .then(() => c.messages.setStatus({ messageId: id, status: i % 2 ? MessageStatus.COMPLETE : MessageStatus.FAILED }))
          .then(() => count(writes, "OK"), () => count(writes, "failed"));
        await sleep(5);
      }
    })();
    const skews: number[] = [];
    const earlyChecks: string[] = [];
    let waitElapsed = 0;
    let waitFinished: boolean | undefined;
    for (const [i, jump] of JUMPS.entries()) {
      await sleep(300);
      fs.writeFileSync(clockFile, jump);
      await sleep(100);
      const probe = await c.messages.createMessage({ threadId: "ck-probe", messageId: `ck-probe-${i}` });
      skews.push(Math.round(skewMs({ time: probe.message?.createTime }, Date.now()) / 60_000) + 0);
      if (i === 0) await register("ck-3s-late", 3000); // registered under a clock 1 h ahead
      if (i === 1) {
        // A wait with a 1 s timeout under a clock a day behind: it returns after about 1 s.
        const started = performance.now();
        const waited = await c.polling.waitMessage({ messageId: "ck-4s", timeout: { seconds: 1n } });
        waitElapsed = Math.round(performance.now() - started);
        waitFinished = waited.finished;
      }
      // Nothing has timed out before its timeout passed in real time.
      for (const [id, r] of Object.entries(registered)) {
        const shown = await c.polling.showMessage({ messageId: id });
        if (shown.message?.status === MessageStatus.TIMED_OUT && performance.now() - r.at < r.timeoutMs) earlyChecks.push(id);
      }
    }
    // Every message times out once its timeout passed in real time, whatever the wall clock says.
    const timedOutAfter: Record<string, number> = {};
    for (const end = performance.now() + 20_000; performance.now() < end && Object.keys(timedOutAfter).length < Object.keys(registered).length; await sleep(50)) {
      for (const [id, r] of Object.entries(registered)) {
        if (timedOutAfter[id] !== undefined) continue;
        const shown = await c.polling.showMessage({ messageId: id });
        if (shown.message?.status === MessageStatus.TIMED_OUT) timedOutAfter[id] = Math.round(performance.now() - r.at);
      }
    }
    writing = false;
    await writer;
    const head = (await c.polling.getDaemonStatus({})).headSeq;
    for (const end = Date.now() + 10_000; Date.now() < end && !(watchers[0]!.finished || (watchers[0]!.lastSeq ?? 0n) >= head); ) await sleep(50);
    for (const end = Date.now() + 10_000; Date.now() < end && !watchers[1]!.finished; ) await sleep(50);
    for (const w of watchers) await w.stop();
    await daemon.stop();
    daemon = undefined;
    const conn = openReadOnly(path.join(temp.home, "comms.db"));
    const log = readLog(conn);
    const times = (conn.prepare("SELECT time FROM message_events ORDER BY seq").all() as Array<{ time: number }>).map((r) => r.time);
    conn.close();
    let backwards = 0;
    for (let i = 1; i < times.length; i++) if (times[i]! < times[i - 1]!) backwards++;
    const many = checkWatcher(watchers[0]!, log, () => true, head);
    const terminal = log.find((e) => e.messageId === "ck-4s" && e.kind === EventKind.STATUS_CHANGED && e.toStatus === MessageStatus.TIMED_OUT)?.seq;
    const one = checkWatcher(watchers[1]!, log, (e) => e.messageId === "ck-4s", terminal);
    const early = Object.entries(timedOutAfter).filter(([id, ms]) => ms < registered[id]!.timeoutMs).map(([id]) => id);
    figures("clock", {
      jumps: JUMPS.join(","),
      wall_skew_min: skews.join(","),
      writes: writes,
      events: log.length,
      time_steps_backwards: backwards,
      seq_disorder: many.disordered + one.disordered,
      watch_missing: many.missing + one.missing,
      watch_duplicated: many.duplicated + one.duplicated,
      spurious_timeouts: earlyChecks.length + early.length,
      timed_out_after_ms: timedOutAfter,
      wait_1s_took_ms: waitElapsed,
      wait_finished: waitFinished,
    });
    // The clock really moved (the log's times go backwards), yet seq order and delivery hold.
    expect(skews).toEqual([60, -1440, 2880, -30, 0]);
    expect(backwards).toBeGreaterThan(0);
    expect([many.missing, many.duplicated, many.disordered, many.extra, one.missing, one.disordered]).toEqual([0, 0, 0, 0, 0, 0]);
    expect(watchers[1]!.finished).toBe(true);
    expect(earlyChecks).toEqual([]);
    expect(early).toEqual([]);
    expect(Object.keys(timedOutAfter).sort()).toEqual(Object.keys(registered).sort());
    expect(waitFinished).toBe(false);
    expect(waitElapsed).toBeGreaterThanOrEqual(990);
  }, 90_000);

  it("never times out early a message registered just before a jump", async () => {
    const libfaketime = requireFile(LIBFAKETIME, "faketime");
    const clockFile = path.join(temp.home, "faketime-race");
    fs.writeFileSync(clockFile, "+0");
    const home = path.join(temp.home, "race");
    daemon = await startDaemonProcess(home, ["--interval", "0.05"], {
      LD_PRELOAD: libfaketime,
      FAKETIME_TIMESTAMP_FILE: clockFile,
      FAKETIME_NO_CACHE: "1",
      FAKETIME_DONT_FAKE_MONOTONIC: "1",
    });
    const c = connectClients(daemon.socket);
    // A busy daemon: the poller takes up each registration a little later.
    const load = spawnNode(fixture("faults-load.mjs"), [daemon.socket, path.join(home, "acks.jsonl"), "--workers", "6", "--prefix", "race-load"]);
    const REGISTRATIONS = 40;
    const TIMEOUT_MS = 2500;
    const started: Record<string, number> = {};
    for (let i = 0; i < REGISTRATIONS; i++) {
      const id = `race-${i}`;
      await c.messages.createMessage({ threadId: "race", messageId: id, status: MessageStatus.PROCESSING });
      started[id] = performance.now();
      await c.polling.addMessage({ messageId: id, timeout: { seconds: BigInt(Math.floor(TIMEOUT_MS / 1000)), nanos: (TIMEOUT_MS % 1000) * 1e6 } });
      fs.writeFileSync(clockFile, i % 2 ? "+0" : "+1h"); // the jump lands as the poller takes up the registration
    }
    const early: string[] = [];
    for (const [id, at] of Object.entries(started)) {
      const shown = await c.polling.showMessage({ messageId: id });
      if (shown.message?.status === MessageStatus.TIMED_OUT && performance.now() - at < TIMEOUT_MS) early.push(id);
    }
    await load.stop();
    await daemon.stop();
    daemon = undefined;
    figures("clock-race", { registrations: REGISTRATIONS, timeout_ms: TIMEOUT_MS, jumps: REGISTRATIONS, early_timeouts: early.length });
    expect(early).toEqual([]);
  }, 60_000);
});
