// README "Reliability", row 3 (external writers are safe): other processes write the SQLite file directly.
// Prints one line of figures; FAULTS_SEED=N replays a seeded run.
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EventKind } from "../../gen/claude_comms/v1/message_pb.js";
import { connectClients } from "../helpers/clients.js";
import { startDaemonProcess, type DaemonProcess } from "../helpers/daemon-process.js";
import { makeTempHome } from "../helpers/temp-home.js";
import { count, figures, fixture, historyGaps, killChildren, lostWrites, openReadOnly, readAcks, runSeed, seqHoles, sleep, spawnNode, statsOf } from "./lib/kit.js";
import { checkWatcher, readLog, ResumingWatcher } from "./lib/watchers.js";

const WRITERS = 3;
const RUN_MS = 5000;

describe("external writers on the SQLite file while the daemon runs", () => {
  const temp = makeTempHome("ccf-ext-");
  let daemon: DaemonProcess | undefined;
  // After a failure too: no daemon, fixture process or temp dir outlives the file.
  afterAll(async () => {
    killChildren();
    await daemon?.kill();
    temp.cleanup();
  });

  it("loses nothing, logs every transition and streams them to watchers", async () => {
    const seed = runSeed();
    daemon = await startDaemonProcess(temp.home, ["--interval", "0.05", "--heartbeat", "200ms"]);
    const c = connectClients(daemon.socket);
    const db = path.join(temp.home, "comms.db");
    const watchers = [
      new ResumingWatcher("many:all", (afterSeq, signal) => c.polling.watchMessages({ afterSeq }, { signal })),
      new ResumingWatcher("many:ext-t0", (afterSeq, signal) => c.polling.watchMessages({ threadId: "ext-t0", afterSeq }, { signal })),
    ];
    const running = watchers.map((w) => w.run());
    await sleep(200);
    const extAcks = Array.from({ length: WRITERS }, (_, i) => path.join(temp.home, `ext${i}.jsonl`));
    const writers = extAcks.map((file, i) => spawnNode(fixture("faults-ext-writer.mjs"), [db, file, `ext${i}`, String(seed + i)]));
    const apiAcks = path.join(temp.home, "api.jsonl");
    const load = spawnNode(fixture("faults-load.mjs"), [daemon.socket, apiAcks, "--workers", "4", "--prefix", "api", "--seed", String(seed)]);
    // Monitor some external messages as they appear (progress sampling of external appends).
    const monitored: Record<string, number> = {};
    const end = Date.now() + RUN_MS;
    while (Date.now() < end) {
      const newest = readAcks(extAcks[0]!).filter((a) => a.op === "create").at(-1);
      if (newest) {
        await c.polling.addMessage({ messageId: newest.id }).then(
          () => count(monitored, "OK"),
          (err) => count(monitored, String((err as { code?: number }).code)),
        );
      }
      await sleep(100);
    }
    const writerExits = await Promise.all(writers.map((w) => w.stop()));
    await load.stop();
    const head = (() => {
      const conn = openReadOnly(db);
      try {
        return BigInt((conn.prepare("SELECT MAX(seq) AS s FROM message_events").get() as { s: number }).s);
      } finally {
        conn.close();
      }
    })();
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && !watchers.every((w) => (w.lastSeq ?? 0n) >= head)) await sleep(50);
    for (const w of watchers) await w.stop();
    await Promise.all(running);
    await daemon.stop();

    const conn = openReadOnly(db);
    const ext = extAcks.flatMap((f) => readAcks(f));
    const api = readAcks(apiAcks);
    const lostExt = lostWrites(conn, ext);
    const lostApi = lostWrites(conn, api);
    const gaps = historyGaps(conn);
    const holes = seqHoles(conn);
    const log = readLog(conn);
    const extTransitions = (conn.prepare("SELECT COUNT(*) AS n FROM message_events WHERE message_id LIKE 'ext%' AND kind IN ('created','status_changed')").get() as { n: number }).n;
    conn.close();
    const reports = [
      checkWatcher(watchers[0]!, log, () => true, head),
      checkWatcher(watchers[1]!, log, (e) => e.threadId === "ext-t0", head),
    ];
    const extDelivered = watchers[0]!.events.filter((e) => e.messageId.startsWith("ext") && (e.kind === EventKind.CREATED || e.kind === EventKind.STATUS_CHANGED)).length;
    const daemonErrors = fs
      .readFileSync(path.join(temp.home, "daemon.log"), "utf8")
      .split("\n")
      .filter((l) => l.includes('"level":"error"'));
    const apiStats = statsOf(load);
    const busy = writers.reduce((n, w) => n + (statsOf(w) as unknown as { busy: number }).busy, 0);
    figures("external", {
      seed,
      writers: WRITERS,
      writer_exits: writerExits.join(","),
      ext_acked: ext.length,
      ext_lost: lostExt.length,
      ext_busy_retries: busy,
      api_acked: api.length,
      api_lost: lostApi.length,
      api_errors: apiStats.answered,
      monitored: monitored,
      messages: gaps.messages,
      transitions: gaps.transitions,
      gaps: gaps.gaps.length,
      seq_holes: holes,
      ext_transitions_logged: extTransitions,
      ext_transitions_streamed: extDelivered,
      watch_missing: reports[0]!.missing + reports[1]!.missing,
      watch_duplicated: reports[0]!.duplicated + reports[1]!.duplicated,
      watch_delivered: reports[0]!.delivered + reports[1]!.delivered,
      daemon_errors: daemonErrors.length,
    });
    expect(writerExits).toEqual(Array(WRITERS).fill(0));
    expect(lostExt.slice(0, 5)).toEqual([]);
    expect(lostApi.slice(0, 5)).toEqual([]);
    expect(gaps.gaps.slice(0, 5)).toEqual([]);
    expect(holes).toBe(0);
    expect(Object.keys(apiStats.answered).filter((code) => code !== "Unavailable")).toEqual([]);
    expect(daemonErrors.slice(0, 3)).toEqual([]);
    expect(ext.length).toBeGreaterThan(100);
    expect(api.length).toBeGreaterThan(50);
    for (const r of reports) expect([r.name, r.missing, r.duplicated, r.disordered, r.extra, r.mismatched]).toEqual([r.name, 0, 0, 0, 0, 0]);
    expect(extDelivered).toBe(extTransitions);
  }, 90_000);
});
