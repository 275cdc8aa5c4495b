// README "Reliability", row 1 (no acknowledged write is lost): SIGKILL of the daemon at random moments under load.
// Prints one line of figures; FAULTS_SEED=N replays a seeded run.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DAEMON_MAIN, startDaemonProcess, type DaemonProcess } from "../helpers/daemon-process.js";
import { makeTempHome } from "../helpers/temp-home.js";
import {
  figures,
  fixture,
  historyGaps,
  integrity,
  killChildren,
  lostWrites,
  openReadOnly,
  readAcks,
  runSeed,
  seeded,
  seqHoles,
  sleep,
  spawnNode,
  statsOf,
} from "./lib/kit.js";

const CYCLES = 30;
const STARTUP_KILLS = 5;
const DAEMON_ARGS = ["--interval", "0.05"];

/** Spawns a daemon and SIGKILLs it `afterMs` later, ready or not (a kill during start-up). */
async function killDuringStartup(home: string, afterMs: number, args: string[]): Promise<void> {
  const child = spawn(process.execPath, [DAEMON_MAIN, "--home", home, "--log-file", path.join(home, "daemon.log"), ...args], {
    stdio: "ignore",
  });
  const exited = new Promise((r) => child.once("exit", r));
  await sleep(afterMs);
  child.kill("SIGKILL");
  await exited;
}

/** How one crash run is driven. */
interface CrashRun {
  name: string;
  cycles: number;
  startupKills: number;
  workers: number;
  /** Longest pause before each kill (random below it): the writers reconnect and resume in it. */
  maxPauseMs: number;
  daemonArgs: string[];
}

/**
 * SIGKILLs the daemon `cycles` times under load and checks every acknowledged write, the
 * file's integrity and the log; prints its figures.
 */
async function crashRun(home: string, run: CrashRun, setDaemon: (d: DaemonProcess | undefined) => void): Promise<void> {
  const seed = runSeed();
  const rng = seeded(seed);
  const db = path.join(home, "comms.db");
  const ackFile = path.join(home, "acks.jsonl");
  // Kills while the store is being created and opened (migrations, first write).
  for (let i = 0; i < run.startupKills; i++) await killDuringStartup(home, 20 + rng.int(300), run.daemonArgs);
  let daemon = await startDaemonProcess(home, run.daemonArgs);
  setDaemon(daemon);
  const load = spawnNode(fixture("faults-load.mjs"), [daemon.socket, ackFile, "--workers", String(run.workers), "--prefix", "c", "--seed", String(seed)]);
  let integrityFailures = 0;
  let cyclesWithAcks = 0;
  try {
    for (let cycle = 0; cycle < run.cycles; cycle++) {
      const before = readAcks(ackFile).length;
      await sleep(rng.int(run.maxPauseMs));
      expect(await daemon.kill()).toBe("SIGKILL");
      if (readAcks(ackFile).length > before) cyclesWithAcks++;
      const check = integrity(db);
      if (check !== "ok") integrityFailures++;
      daemon = await startDaemonProcess(home, run.daemonArgs);
      setDaemon(daemon);
    }
    await sleep(300);
  } finally {
    await load.stop();
    await daemon.stop();
  }
  const stats = statsOf(load);
  const acks = readAcks(ackFile);
  const conn = openReadOnly(db);
  const lost = lostWrites(conn, acks);
  const log = historyGaps(conn);
  const holes = seqHoles(conn);
  conn.close();
  const finalCheck = integrity(db);
  figures(run.name, {
    seed,
    cycles: run.cycles,
    startup_kills: run.startupKills,
    workers: run.workers,
    cycles_with_acks: cyclesWithAcks,
    acked: acks.length,
    lost: lost.length,
    integrity: integrityFailures === 0 && finalCheck === "ok" ? "ok" : `failed(${integrityFailures})`,
    messages: log.messages,
    transitions: log.transitions,
    gaps: log.gaps.length,
    seq_holes: holes,
    client_errors: { ...stats.answered, ...stats.transport },
  });
  expect(lost.slice(0, 5)).toEqual([]);
  expect(integrityFailures).toBe(0);
  expect(finalCheck).toBe("ok");
  expect(log.gaps.slice(0, 5)).toEqual([]);
  expect(holes).toBe(0);
  expect(acks.length).toBeGreaterThan(run.cycles * 5);
  expect(cyclesWithAcks).toBeGreaterThanOrEqual(run.cycles / 3); // kills land while writes are acknowledged
}

describe("crash: SIGKILL of the daemon at random moments", () => {
  const temp = makeTempHome("ccf-crash-");
  let daemon: DaemonProcess | undefined;
  // After a failure too: no daemon, fixture process or temp dir outlives the file.
  afterAll(async () => {
    killChildren();
    await daemon?.kill();
    temp.cleanup();
  });

  it(`keeps every acknowledged write, a whole file and a gapless log over ${CYCLES} kills`, async () => {
    await crashRun(temp.home, { name: "crash", cycles: CYCLES, startupKills: STARTUP_KILLS, workers: 6, maxPauseMs: 400, daemonArgs: DAEMON_ARGS }, (d) => (daemon = d));
  }, 180_000);

  // 24 writers at once: their writes share group commits (one transaction, one fsync), and a
  // kill lands between a group's commit and its acknowledgements or in the middle of a group.
  it("keeps every acknowledged write of concurrent writers sharing group commits (synchronous=full)", async () => {
    const run = { name: "crash-grouped", cycles: 12, startupKills: 0, workers: 24, maxPauseMs: 2500, daemonArgs: [...DAEMON_ARGS, "--synchronous", "full"] };
    const home = path.join(temp.home, "grouped");
    fs.mkdirSync(home);
    await crashRun(home, run, (d) => (daemon = d));
  }, 180_000);
});
