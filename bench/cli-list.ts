import { spawnSync } from "node:child_process";
import { atMost, info, type Figure } from "./lib/figure.js";
import { size, type BenchOptions } from "./lib/options.js";
import { CLI_BIN } from "./lib/paths.js";
import { messageId } from "./lib/seed.js";
import { seededDaemon } from "./lib/servers.js";
import { summarize } from "./lib/stats.js";

/*
 * Target 15 (issue 17): `poll list` with 10,000 monitored messages, run as a user runs it (the
 * shipped bin against a running daemon). Every row as a table (`--limit 0`) within 1.2× of
 * every row as `--json`, and both within 1 s (median wall time, runs interleaved). The
 * default table (the first 100 rows and the total) and `poll status` (the floor of any
 * command: start-up and one call) are reported beside them.
 */

const ROWS = 10_000;

function timed(args: string[], check: (stdout: string) => boolean): { ms: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI_BIN, ...args], { encoding: "utf8", timeout: 60_000, maxBuffer: 64 << 20 });
  const ms = performance.now() - t0;
  if (r.status !== 0 || !check(r.stdout)) throw new Error(`poll list ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return { ms };
}

/** Runs target 15. */
export async function cliList(options: BenchOptions): Promise<Figure[]> {
  const runs = size(options, 5, 15);
  const daemon = await seededDaemon({ messages: ROWS, monitored: ROWS });
  const last = messageId(ROWS - 1);
  const table: number[] = [];
  const json: number[] = [];
  const capped: number[] = [];
  const floor: number[] = [];
  try {
    for (let i = 0; i < runs + 1; i++) {
      const t = timed(["poll", "list", "--home", daemon.home, "--limit", "0"], (out) => out.includes(last));
      const j = timed(["--json", "poll", "list", "--home", daemon.home], (out) => out.includes(last));
      const c = timed(["poll", "list", "--home", daemon.home], (out) => out.includes("9,900 more"));
      const f = timed(["poll", "status", "--home", daemon.home], (out) => out.includes("monitored"));
      if (i >= 1) (table.push(t.ms), json.push(j.ms), capped.push(c.ms), floor.push(f.ms)); // one warm-up round
    }
  } finally {
    await daemon.stop();
  }
  const t = summarize(table, 1);
  const j = summarize(json, 1);
  const c = summarize(capped, 1);
  const f = summarize(floor, 1);
  options.log(`10,000 rows: table ${t.p50} ms, --json ${j.p50} ms, default (100 rows + total) ${c.p50} ms; poll status ${f.p50} ms (median)`);
  return [
    atMost(15, "cli_poll_list_table_10k", t.p50, "ms", Math.min(1000, 1.2 * j.p50), "≤ 1.2× --json and ≤ 1 s", {
      baseline: j.p50,
      baselineName: "poll list --json",
      ratio: t.p50 / j.p50,
      ratioMeaning: "value / baseline",
      detail: { table: t, json: j },
    }),
    atMost(15, "cli_poll_list_json_10k", j.p50, "ms", 1000, "≤ 1 s", { detail: { ...j } }),
    info("cli_poll_list_default_10k", c.p50, "ms", { explains: 15, ...c }),
    // The floor of any command against the same daemon in the same run: start-up and one call.
    info("cli_poll_status_floor", f.p50, "ms", { explains: 15, ...f }),
  ];
}
