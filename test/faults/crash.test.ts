// README "Reliability", row 1 (no acknowledged write is lost): SIGKILL of the daemon at random moments under load.
// Prints one line of figures; FAULTS_SEED=N replays a seeded run.
import { spawn } from "node:child_process";
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
async function killDuringStartup(home: string, afterMs: number): Promise<void> {
  const child = spawn(process.execPath, [DAEMON_MAIN, "--home", home, "--log-file", path.join(home, "daemon.log"), ...DAEMON_ARGS], {
    stdio: "ignore",
  });
  const exited = new Promise((r) => child.once("exit", r));
  await sleep(afterMs);
  child.kill("SIGKILL");
  await exited;
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
    const seed = runSeed();
    const rng = seeded(seed);
    const db = path.join(temp.home, "comms.db");
    const ackFile = path.join(temp.home, "acks.jsonl");
    // Kills while the store is being created and opened (migrations, first write).
    for (let i = 0; i < STARTUP_KILLS; i++) await killDuringStartup(temp.home, 20 + rng.int(300));
    daemon = await startDaemonProcess(temp.home, DAEMON_ARGS);
    const load = spawnNode(fixture("faults-load.mjs"), [daemon.socket, ackFile, "--workers", "6", "--prefix", "c", "--seed", String(seed)]);
    let integrityFailures = 0;
    let cyclesWithAcks = 0;
    try {
      for (let cycle = 0; cycle < CYCLES; cycle++) {
        const before = readAcks(ackFile).length;
        await sleep(rng.int(400));
        expect(await daemon.kill()).toBe("SIGKILL");
        if (readAcks(ackFile).length > before) cyclesWithAcks++;
        const check = integrity(db);
        if (check !== "ok") integrityFailures++;
        daemon = await startDaemonProcess(temp.home, DAEMON_ARGS);
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
    figures("crash", {
      seed,
      cycles: CYCLES,
      startup_kills: STARTUP_KILLS,
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
    expect(acks.length).toBeGreaterThan(CYCLES * 5);
    expect(cyclesWithAcks).toBeGreaterThanOrEqual(CYCLES / 3); // kills land while writes are acknowledged
  }, 180_000);
});
