// README "Reliability", row 2 (watches are ordered, unique, complete, resumable, across restarts): watchers checked against the event log.
// Prints one line of figures; FAULTS_SEED=N replays a seeded run.
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EventKind, MessageStatus } from "../../gen/claude_comms/v1/message_pb.js";
import { connectClients, type TestClients } from "../helpers/clients.js";
import { startDaemonProcess, type DaemonProcess } from "../helpers/daemon-process.js";
import { makeTempHome } from "../helpers/temp-home.js";
import { codeName, count, figures, fixture, killChildren, openReadOnly, runSeed, seeded, sleep, spawnNode, statsOf } from "./lib/kit.js";
import { checkWatcher, disagreeingPairs, readLog, ResumingWatcher, totals, type LogEvent } from "./lib/watchers.js";

const LONG = ["tw-long-0", "tw-long-1", "tw-long-2", "tw-long-3"];
const LONG_THREAD = "tw-long";
const RESTARTS: NodeJS.Signals[] = ["SIGTERM", "SIGKILL", "SIGTERM", "SIGKILL"];
const FINAL_STATUS = [MessageStatus.COMPLETE, MessageStatus.FAILED, MessageStatus.COMPLETE, MessageStatus.CANCELLED];
const TERMINAL = new Set([MessageStatus.COMPLETE, MessageStatus.FAILED, MessageStatus.TIMED_OUT, MessageStatus.CANCELLED]);
const DAEMON_ARGS = ["--interval", "0.05", "--heartbeat", "200ms"];

/** Retries a write until the daemon answers it (OK or a refusal); returns the code. */
async function settle(call: () => Promise<unknown>): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      await call();
      return "OK";
    } catch (err) {
      const code = codeName(err);
      if (code === "FailedPrecondition" || code === "NotFound") return code; // an earlier attempt landed
      if (attempt > 200) throw err;
      await sleep(50);
    }
  }
}

describe("watch validator: watchers across daemon restarts", () => {
  const temp = makeTempHome("ccf-watch-");
  let daemon: DaemonProcess | undefined;
  // After a failure too: no daemon, fixture process or temp dir outlives the file.
  afterAll(async () => {
    killChildren();
    await daemon?.kill();
    temp.cleanup();
  });

  it("delivers every event in order, once, resumably, and the same to every watcher of a message", async () => {
    const seed = runSeed();
    const rng = seeded(seed);
    daemon = await startDaemonProcess(temp.home, DAEMON_ARGS);
    const c: TestClients = connectClients(daemon.socket);
    for (const id of LONG) {
      await c.messages.createMessage({ threadId: LONG_THREAD, messageId: id, status: MessageStatus.PROCESSING });
      await c.polling.addMessage({ messageId: id });
    }
    const one = LONG.flatMap((id) =>
      [0, 1].map(
        (k) =>
          new ResumingWatcher(`one:${id}:${k}`, (afterSeq, signal) => c.polling.watchMessage({ messageId: id, afterSeq }, { signal })),
      ),
    );
    const filters = {
      all: {},
      thread: { threadId: LONG_THREAD },
      done: { statuses: [MessageStatus.COMPLETE, MessageStatus.FAILED, MessageStatus.CANCELLED] },
    };
    const many = Object.entries(filters).map(
      ([name, filter]) =>
        new ResumingWatcher(`many:${name}`, (afterSeq, signal) => c.polling.watchMessages({ ...filter, afterSeq }, { signal })),
    );
    const watching = [...one, ...many].map((w) => w.run());
    const load = spawnNode(fixture("faults-load.mjs"), [daemon.socket, path.join(temp.home, "acks.jsonl"), "--workers", "4", "--prefix", "tw", "--seed", String(seed)]);
    let driving = true;
    const appends: Record<string, number> = {};
    const driver = (async () => {
      while (driving) {
        const id = LONG[rng.int(LONG.length)]!;
        try {
          await c.messages.appendContent({ messageId: id, content: "y".repeat(1 + rng.int(20)) });
          count(appends, "OK");
        } catch {
          count(appends, "failed");
          await sleep(30);
        }
        await sleep(5);
      }
    })();
    const exits: Array<number | string> = [];
    try {
      for (const signal of RESTARTS) {
        await sleep(1000 + rng.int(800));
        exits.push(signal === "SIGTERM" ? await daemon.stop() : await daemon.kill());
        daemon = await startDaemonProcess(temp.home, DAEMON_ARGS);
      }
      await sleep(1000);
    } finally {
      driving = false;
      await driver;
      await load.stop();
    }
    const finals = await Promise.all(LONG.map((id, i) => settle(() =>
      FINAL_STATUS[i] === MessageStatus.CANCELLED
        ? c.polling.cancelMessage({ messageId: id, reason: "done" })
        : c.messages.setStatus({ messageId: id, status: FINAL_STATUS[i]! }),
    )));
    const db = path.join(temp.home, "comms.db");
    // Every WatchMessage ends by itself at the terminal event; WatchMessages watchers are
    // stopped once a heartbeat has told them they are at the log's head.
    const head = () => {
      const conn = openReadOnly(db);
      try {
        return BigInt((conn.prepare("SELECT MAX(seq) AS s FROM message_events").get() as { s: number }).s);
      } finally {
        conn.close();
      }
    };
    const finalHead = head();
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && ![...one.map((w) => w.finished), ...many.map((w) => (w.lastSeq ?? 0n) >= finalHead)].every(Boolean)) {
      await sleep(50);
    }
    for (const w of many) await w.stop();
    for (const w of one) if (!w.finished) await w.stop();
    await Promise.all(watching);
    await daemon.stop();

    const conn = openReadOnly(db);
    const log = readLog(conn);
    conn.close();
    const terminalSeq = (id: string) =>
      log.find((e) => e.messageId === id && TERMINAL.has(e.toStatus) && (e.kind === EventKind.STATUS_CHANGED || e.kind === EventKind.CREATED))?.seq;
    const reports = [
      ...one.map((w, i) => {
        const id = LONG[Math.floor(i / 2)]!;
        return checkWatcher(w, log, (e) => e.messageId === id, terminalSeq(id));
      }),
      ...many.map((w) => {
        const wanted: Record<string, (e: LogEvent) => boolean> = {
          "many:all": () => true,
          "many:thread": (e) => e.threadId === LONG_THREAD,
          "many:done": (e) => [MessageStatus.COMPLETE, MessageStatus.FAILED, MessageStatus.CANCELLED].includes(e.toStatus),
        };
        return checkWatcher(w, log, wanted[w.name]!, finalHead);
      }),
    ];
    const pairs = LONG.map((_, i) => disagreeingPairs([one[2 * i]!, one[2 * i + 1]!])).reduce((a, b) => a + b, 0);
    const sum = totals(reports);
    const endCodes: Record<string, number> = {};
    for (const w of [...one, ...many]) for (const end of w.ends) count(endCodes, end.code);
    // A stop names the seq to resume after; it is never behind what the watcher saw.
    const unavailable = [...one, ...many].flatMap((w) => w.ends.filter((e) => e.code === "Unavailable"));
    const badHeaders = unavailable.filter((e) => e.lastSeqHeader === undefined || (e.seen !== undefined && BigInt(e.lastSeqHeader) < e.seen)).length;
    const stats = statsOf(load);
    figures("watch", {
      seed,
      restarts: RESTARTS.length,
      exits: exits.join(","),
      watchers: one.length + many.length,
      log_events: log.length,
      delivered: sum.delivered,
      expected: sum.expected,
      missing: sum.missing,
      duplicated: sum.duplicated,
      disordered: sum.disordered,
      extra: sum.extra,
      mismatched: sum.mismatched,
      early_heartbeats: sum.earlyMarks,
      reconnect_attempts: sum.resumes,
      resumed_streams: sum.resumedStreams,
      bad_resumes: sum.badResumes,
      disagreeing_pairs: pairs,
      unfinished: one.filter((w) => !w.finished).length,
      stream_ends: endCodes,
      unavailable_without_seq: badHeaders,
      load_acked: stats.acked,
      long_appends: appends,
      finals: finals.join(","),
    });
    for (const r of reports) {
      expect({ name: r.name, missing: r.missing, duplicated: r.duplicated, disordered: r.disordered, extra: r.extra, mismatched: r.mismatched, earlyMarks: r.earlyMarks, badResumes: r.badResumes })
        .toEqual({ name: r.name, missing: 0, duplicated: 0, disordered: 0, extra: 0, mismatched: 0, earlyMarks: 0, badResumes: 0 });
    }
    expect(pairs).toBe(0);
    expect(one.every((w) => w.finished)).toBe(true);
    expect(badHeaders).toBe(0);
    expect(sum.resumedStreams).toBeGreaterThanOrEqual(RESTARTS.length * (one.length + many.length));
    expect(sum.delivered).toBeGreaterThan(300); // a run with real traffic, even on a loaded machine
    expect(exits).toEqual([0, "SIGKILL", 0, "SIGKILL"]);
  }, 120_000);
});
