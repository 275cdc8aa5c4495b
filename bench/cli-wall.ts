import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { tempDir } from "./lib/cleanup.js";
import { atMost, info, type Figure } from "./lib/figure.js";
import { size, type BenchOptions } from "./lib/options.js";
import { CLI_MAIN, ROOT } from "./lib/paths.js";
import { messageId } from "./lib/seed.js";
import { seededDaemon } from "./lib/servers.js";
import { summarize } from "./lib/stats.js";

/*
 * Target 9: wall time of `node dist/src/cli/main.js poll list --home H` against a running
 * daemon (20 monitored messages). Same-run baselines, interleaved: `node -e 0` (the floor of
 * any Node command) and, when rolldown is installed (vite brings it), the same CLI bundled
 * into one file: what loading ~200 ES modules one by one costs.
 */

function timed(args: string[], check: (stdout: string) => boolean): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: "utf8", timeout: 15_000 });
  const ms = performance.now() - t0;
  if (r.status !== 0 || !check(r.stdout)) throw new Error(`${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return ms;
}

/** The CLI bundled into one ES module with rolldown, or undefined when rolldown is missing or fails. */
function bundleCli(options: BenchOptions): string | undefined {
  const rolldown = path.join(ROOT, "node_modules", ".bin", "rolldown");
  if (!fs.existsSync(rolldown)) return undefined;
  const out = path.join(tempDir(), "cli.mjs");
  const r = spawnSync(rolldown, [CLI_MAIN, "--format", "esm", "--platform", "node", "--inline-dynamic-imports", "-o", out], {
    encoding: "utf8",
    timeout: 60_000,
  });
  if (r.status !== 0 || !fs.existsSync(out)) {
    options.log(`could not bundle the CLI with rolldown (${r.status}): ${r.stderr.slice(0, 300)}`);
    return undefined;
  }
  return out;
}

/** Runs target 9. */
export async function cliWall(options: BenchOptions): Promise<Figure[]> {
  const runs = size(options, 10, 40);
  const bundle = bundleCli(options);
  const daemon = await seededDaemon({ messages: 20, monitored: 20 });
  const list: number[] = [];
  const floor: number[] = [];
  const bundled: number[] = [];
  const listed = (out: string) => out.includes(messageId(19));
  try {
    for (let i = 0; i < runs + 2; i++) {
      const l = timed([CLI_MAIN, "poll", "list", "--home", daemon.home], listed);
      const n = timed(["-e", "0"], () => true);
      const b = bundle ? timed([bundle, "poll", "list", "--home", daemon.home], listed) : NaN;
      if (i >= 2) (list.push(l), floor.push(n), bundled.push(b)); // two warm-up runs
    }
  } finally {
    await daemon.stop();
  }
  const l = summarize(list, 1);
  const n = summarize(floor, 1);
  const b = bundle ? summarize(bundled, 1) : undefined;
  options.log(`poll list ${l.p50} ms, bundled ${b?.p50 ?? "-"} ms, node -e 0 ${n.p50} ms (median)`);
  const figures = [
    atMost(9, "cli_poll_list_wall", l.p50, "ms", 200, "≤ 200 ms median", {
      baseline: n.p50,
      baselineName: "node -e 0",
      detail: { pollList: l, nodeFloor: n, bundled: b },
    }),
  ];
  if (b) figures.push(info("cli_poll_list_wall_bundled", b.p50, "ms", { explains: 9, ...b, bundler: "rolldown (node_modules/.bin)" }));
  return figures;
}
