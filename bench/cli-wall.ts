import { spawnSync } from "node:child_process";
import { atMost, info, type Figure } from "./lib/figure.js";
import { size, type BenchOptions } from "./lib/options.js";
import { CLI_BIN, CLI_MAIN } from "./lib/paths.js";
import { messageId } from "./lib/seed.js";
import { seededDaemon } from "./lib/servers.js";
import { summarize } from "./lib/stats.js";

/*
 * Target 9: wall time of the shipped `claude-comms` bin (the CLI bundled by the build) for
 * `poll list --home H` against a running daemon (20 monitored messages). Same-run
 * baselines, interleaved: `node -e 0` (the floor of any Node command) and the unbundled tsc
 * output: what loading ~200 ES modules one by one costs.
 */

function timed(args: string[], check: (stdout: string) => boolean): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: "utf8", timeout: 15_000 });
  const ms = performance.now() - t0;
  if (r.status !== 0 || !check(r.stdout)) throw new Error(`${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return ms;
}

/** Runs target 9. */
export async function cliWall(options: BenchOptions): Promise<Figure[]> {
  const runs = size(options, 10, 40);
  const daemon = await seededDaemon({ messages: 20, monitored: 20 });
  const list: number[] = [];
  const floor: number[] = [];
  const unbundled: number[] = [];
  const listed = (out: string) => out.includes(messageId(19));
  try {
    for (let i = 0; i < runs + 2; i++) {
      const l = timed([CLI_BIN, "poll", "list", "--home", daemon.home], listed);
      const n = timed(["-e", "0"], () => true);
      const u = timed([CLI_MAIN, "poll", "list", "--home", daemon.home], listed);
      if (i >= 2) (list.push(l), floor.push(n), unbundled.push(u)); // two warm-up runs
    }
  } finally {
    await daemon.stop();
  }
  const l = summarize(list, 1);
  const n = summarize(floor, 1);
  const u = summarize(unbundled, 1);
  options.log(`poll list ${l.p50} ms, unbundled ${u.p50} ms, node -e 0 ${n.p50} ms (median)`);
  const figures = [
    atMost(9, "cli_poll_list_wall", l.p50, "ms", 200, "≤ 200 ms median", {
      baseline: n.p50,
      baselineName: "node -e 0",
      detail: { pollList: l, nodeFloor: n, unbundled: u },
    }),
    info("cli_poll_list_wall_unbundled", u.p50, "ms", { explains: 9, ...u }),
  ];
  return figures;
}
