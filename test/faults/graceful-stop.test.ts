// README "Reliability", row 8 (graceful stop): SIGTERM under unary load and open watches.
// Prints one line of figures; FAULTS_SEED=N replays a seeded run.
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EventKind, MessageStatus } from "../../gen/claude_comms/v1/message_pb.js";
import { connectClients } from "../helpers/clients.js";
import { startDaemonProcess, type DaemonProcess } from "../helpers/daemon-process.js";
import { makeTempHome } from "../helpers/temp-home.js";
import { codeName, count, figures, fixture, integrity, killChildren, lostWrites, openReadOnly, readAcks, runSeed, seeded, sleep, spawnNode, statsOf, transportCause } from "./lib/kit.js";
import { checkWatcher, readLog, ResumingWatcher, totals } from "./lib/watchers.js";

const STOPS = 4;
const LONG = ["gs-long-0", "gs-long-1", "gs-long-2"];
const DAEMON_ARGS = ["--interval", "0.05", "--heartbeat", "500ms"];

describe("graceful stop under load", () => {
  const temp = makeTempHome("ccf-stop-");
  let daemon: DaemonProcess | undefined;
  // After a failure too: no daemon, fixture process or temp dir outlives the file.
  afterAll(async () => {
    killChildren();
    await daemon?.kill();
    temp.cleanup();
  });

  it("finishes unary calls, ends watches UNAVAILABLE with a resume seq, exits 0 and loses nothing", async () => {
    const seed = runSeed();
    const rng = seeded(seed);
    const ackFile = path.join(temp.home, "acks.jsonl");
    daemon = await startDaemonProcess(temp.home, DAEMON_ARGS);
    const c = connectClients(daemon.socket);
    for (const id of LONG) {
      await c.messages.createMessage({ threadId: "gs-long", messageId: id, status: MessageStatus.PROCESSING });
      await c.polling.addMessage({ messageId: id });
    }
    const watchers = [
      ...LONG.map((id) => new ResumingWatcher(`one:${id}`, (afterSeq, signal) => c.polling.watchMessage({ messageId: id, afterSeq }, { signal }))),
      new ResumingWatcher("many:all", (afterSeq, signal) => c.polling.watchMessages({ afterSeq }, { signal })),
      new ResumingWatcher("many:thread", (afterSeq, signal) => c.polling.watchMessages({ threadId: "gs-long", afterSeq }, { signal })),
    ];
    const running = watchers.map((w) => w.run());
    const load = spawnNode(fixture("faults-load.mjs"), [daemon.socket, ackFile, "--workers", "8", "--prefix", "gs", "--seed", String(seed)]);
    let driving = true;
    const driver = (async () => {
      while (driving) {
        await c.messages.appendContent({ messageId: LONG[rng.int(LONG.length)]!, content: "z" }).catch(() => sleep(30));
        await sleep(5);
      }
    })();
    const waitCodes: Record<string, number> = {};
    const exitCodes: Array<number | string> = [];
    const exitMs: number[] = [];
    let socketLeft = 0;
    let lockLeft = 0;
    try {
      for (let i = 0; i < STOPS; i++) {
        await sleep(800 + rng.int(700));
        // WaitMessage calls in flight at the stop: they end UNAVAILABLE (retry after restart).
        const waits = LONG.map((id) =>
          c.polling.waitMessage({ messageId: id, timeout: { seconds: 60n } }).then(
            () => "OK",
            (err) => transportCause(err) ?? codeName(err),
          ),
        );
        // A client that stops reading a stream without cancelling it must not hold up the stop.
        const abandoned = c.polling.watchMessage({ messageId: LONG[0]! })[Symbol.asyncIterator]();
        await abandoned.next();
        await abandoned.return?.();
        await sleep(50);
        const started = performance.now();
        const hung = sleep(15_000).then(() => "hung");
        const exit = await Promise.race([daemon.stop(), hung]);
        if (exit === "hung") await daemon.kill();
        exitCodes.push(exit);
        for (const code of await Promise.all(waits)) count(waitCodes, code);
        exitMs.push(Math.round(performance.now() - started));
        if (fs.existsSync(daemon.socket)) socketLeft++;
        if (fs.existsSync(path.join(temp.home, "daemon.pid"))) lockLeft++;
        await sleep(100 + rng.int(200)); // clients meet a stopped daemon for a while
        daemon = await startDaemonProcess(temp.home, DAEMON_ARGS);
      }
      await sleep(500);
    } finally {
      driving = false;
      await driver;
      await load.stop();
    }
    for (const id of LONG) await c.messages.setStatus({ messageId: id, status: MessageStatus.COMPLETE });
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && !watchers.slice(0, LONG.length).every((w) => w.finished)) await sleep(50);
    const head = (await c.polling.getDaemonStatus({})).headSeq;
    while (Date.now() < deadline && !watchers.slice(LONG.length).every((w) => (w.lastSeq ?? 0n) >= head)) await sleep(50);
    for (const w of watchers) await w.stop();
    await Promise.all(running);
    await daemon.stop();

    const db = path.join(temp.home, "comms.db");
    const conn = openReadOnly(db);
    const lost = lostWrites(conn, readAcks(ackFile));
    const log = readLog(conn);
    conn.close();
    const terminal = (id: string) => log.find((e) => e.messageId === id && e.kind === EventKind.STATUS_CHANGED && e.toStatus === MessageStatus.COMPLETE)?.seq;
    const reports = watchers.map((w, i) =>
      i < LONG.length
        ? checkWatcher(w, log, (e) => e.messageId === LONG[i], terminal(LONG[i]!))
        : checkWatcher(w, log, w.name === "many:all" ? () => true : (e) => e.threadId === "gs-long", head),
    );
    const sum = totals(reports);
    // Each stop ends each open watch UNAVAILABLE naming the seq to resume after.
    const stopEnds = watchers.map((w) => w.ends.filter((e) => e.code === "Unavailable"));
    const withSeq = stopEnds.flat().filter((e) => e.lastSeqHeader !== undefined && (e.seen === undefined || BigInt(e.lastSeqHeader) >= e.seen)).length;
    const endCodes: Record<string, number> = {};
    for (const w of watchers) for (const e of w.ends) count(endCodes, e.code);
    const stats = statsOf(load);
    figures("graceful", {
      seed,
      stops: STOPS,
      exit_codes: exitCodes.join(","),
      exit_ms: exitMs.join(","),
      socket_left: socketLeft,
      lock_left: lockLeft,
      acked: stats.acked,
      lost: lost.length,
      unary_answered: stats.answered,
      unary_transport: stats.transport,
      samples: (stats as { samples?: unknown }).samples,
      watch_ends: endCodes,
      wait_ends: waitCodes,
      unavailable_with_seq: `${withSeq}/${stopEnds.flat().length}`,
      delivered: sum.delivered,
      missing: sum.missing,
      duplicated: sum.duplicated,
      disordered: sum.disordered,
      bad_resumes: sum.badResumes,
      integrity: integrity(db),
    });
    expect(exitCodes).toEqual(Array(STOPS).fill(0));
    expect(Math.max(...exitMs)).toBeLessThan(15_000);
    expect(socketLeft + lockLeft).toBe(0);
    expect(lost.slice(0, 5)).toEqual([]);
    // The daemon answers a call it cannot finish UNAVAILABLE, never INTERNAL or UNKNOWN.
    expect(Object.keys(stats.answered).filter((code) => code !== "Unavailable")).toEqual([]);
    // No call in flight had its connection cut: failures are only connection attempts while stopped.
    // (REFUSED_STREAM: sent after the daemon's GOAWAY, never processed; connect-node's client
    // labels it INTERNAL, the gRPC HTTP/2 mapping says UNAVAILABLE.)
    const harmless = ["ENOENT", "ECONNREFUSED", "ERR_HTTP2_STREAM_ERROR:NGHTTP2_REFUSED_STREAM"];
    expect(Object.keys(stats.transport).filter((code) => !harmless.includes(code))).toEqual([]);
    expect(waitCodes).toEqual({ Unavailable: STOPS * LONG.length });
    for (const ends of stopEnds) expect(ends.length).toBeGreaterThanOrEqual(STOPS);
    expect(withSeq).toBe(stopEnds.flat().length);
    expect({ missing: sum.missing, duplicated: sum.duplicated, disordered: sum.disordered, extra: sum.extra, badResumes: sum.badResumes }).toEqual({
      missing: 0,
      duplicated: 0,
      disordered: 0,
      extra: 0,
      badResumes: 0,
    });
  }, 120_000);
});
