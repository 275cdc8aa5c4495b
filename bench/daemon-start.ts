import path from "node:path";
import { removeDir, tempDir } from "./lib/cleanup.js";
import { firstAnswer } from "./lib/answer.js";
import { startDaemon } from "./lib/daemon.js";
import { atMost, info, type Figure } from "./lib/figure.js";
import { size, type BenchOptions } from "./lib/options.js";
import { startBareServer } from "./lib/servers.js";
import { summarize } from "./lib/stats.js";

/*
 * Target 10: from spawning `node dist/src/daemon/main.js` until it answers GetDaemonStatus
 * (a fresh home each time: migrations included), and restarting on the existing store.
 * Baseline, same run: the bare Connect-Node server process from spawn until it answers.
 */

/** Runs target 10. */
export async function daemonStart(options: BenchOptions): Promise<Figure[]> {
  const runs = size(options, 8, 25);
  const fresh: number[] = [];
  const restart: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < runs + 1; i++) {
    const home = tempDir();
    try {
      for (const sample of [fresh, restart]) {
        const daemon = await startDaemon(home);
        try {
          const answered = await firstAnswer(daemon.socket);
          if (i > 0) sample.push(answered - daemon.spawnedAt); // the first run warms the disk cache
        } finally {
          await daemon.stop();
        }
      }
    } finally {
      removeDir(home);
    }
    const t0 = performance.now();
    const server = await startBareServer();
    try {
      const answered = await firstAnswer(server.socket);
      if (i > 0) bare.push(answered - t0);
    } finally {
      await server.worker.stop();
      removeDir(path.dirname(server.socket));
    }
  }
  const f = summarize(fresh, 1);
  const r = summarize(restart, 1);
  const b = summarize(bare, 1);
  options.log(`fresh ${f.p50} ms, restart ${r.p50} ms, bare ${b.p50} ms (median)`);
  return [
    atMost(10, "daemon_start_to_answer", f.p50, "ms", 500, "≤ 500 ms median", {
      baseline: b.p50,
      baselineName: "bare Connect-Node server process, spawn → answer",
      detail: { fresh: f, restart: r, bare: b },
    }),
    info("daemon_restart_to_answer", r.p50, "ms", { ...r }),
  ];
}
