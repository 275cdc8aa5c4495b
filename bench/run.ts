import fs from "node:fs";
import { parseArgs } from "node:util";
import { askStream } from "./ask-stream.js";
import { cliList } from "./cli-list.js";
import { cliWall } from "./cli-wall.js";
import { daemonStart } from "./daemon-start.js";
import { externalWriter } from "./external-writer.js";
import { fanOut } from "./fan-out.js";
import { cleanupAll, cleanupSync, withTimeout } from "./lib/cleanup.js";
import type { Figure } from "./lib/figure.js";
import type { BenchOptions } from "./lib/options.js";
import { RESULTS_FILE } from "./lib/paths.js";
import { machine, renderMarkdown, renderTable } from "./lib/report.js";
import { memory } from "./memory.js";
import { peerHold, peerLatency, peers, peerWrites } from "./peers.js";
import { renderPeerMarkdown } from "./peers/figures.js";
import { pollerTick } from "./poller-tick.js";
import { pushLatency } from "./push-latency.js";
import { replicas } from "./replicas.js";
import { storeWrite } from "./store-write.js";
import { unaryThroughput } from "./unary-throughput.js";

/*
 * `npm run bench` (quick: small sizes, reporting only, never fails on timings) and
 * `npm run bench -- --full`. Runs each benchmark in turn (bounded in time), prints a table
 * and writes bench/results.json. `--only 1,5,replicas` runs the benchmarks of those targets
 * (or names); `--markdown` also prints the table as Markdown; `--out FILE` writes elsewhere.
 */

interface Bench {
  name: string;
  targets: number[];
  run(options: BenchOptions): Promise<Figure[]>;
  /** Upper bound of its run time, quick / full, in seconds. */
  limitS: [number, number];
  /** Runs only when named with --only (a phase of another benchmark, for iterating on it). */
  byNameOnly?: boolean;
}

const BENCHES: Bench[] = [
  { name: "poller-tick", targets: [1, 2], run: pollerTick, limitS: [60, 300] },
  { name: "push-latency", targets: [3], run: pushLatency, limitS: [60, 300] },
  { name: "external-writer", targets: [4], run: externalWriter, limitS: [60, 300] },
  { name: "fan-out", targets: [5], run: fanOut, limitS: [90, 400] },
  { name: "unary-throughput", targets: [6, 7], run: unaryThroughput, limitS: [90, 400] },
  { name: "store-write", targets: [7], run: storeWrite, limitS: [60, 300] },
  { name: "memory", targets: [8], run: memory, limitS: [90, 400] },
  { name: "cli-wall", targets: [9], run: cliWall, limitS: [60, 300] },
  { name: "daemon-start", targets: [10], run: daemonStart, limitS: [60, 300] },
  { name: "cli-list", targets: [15], run: cliList, limitS: [120, 400] },
  // Issue 12: what streaming an agent's answer costs the store (no target of its own).
  { name: "ask-stream", targets: [], run: askStream, limitS: [90, 300] },
  // Past one machine (no target of its own): needs PostgreSQL, see replicas.ts.
  { name: "replicas", targets: [], run: replicas, limitS: [120, 400] },
  // Against the peers a user could pick instead (etcd, Redis): targets 11–14.
  { name: "peers", targets: [11, 12, 13, 14], run: peers, limitS: [240, 1500] },
  // Only the write phase of "peers" (run it by name: --only peer-writes).
  { name: "peer-writes", targets: [], run: peerWrites, limitS: [400, 900], byNameOnly: true },
  // Only the latency phase of "peers" (--only peer-latency).
  { name: "peer-latency", targets: [], run: peerLatency, limitS: [400, 900], byNameOnly: true },
  // Only the idle phase of "peers" (--only peer-hold).
  { name: "peer-hold", targets: [], run: peerHold, limitS: [400, 900], byNameOnly: true },
];

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { full: { type: "boolean" }, only: { type: "string" }, markdown: { type: "boolean" }, out: { type: "string" } },
  });
  const full = values.full === true;
  const only = values.only?.split(",").map((s) => s.trim());
  const selected = BENCHES.filter((b) =>
    only ? only.includes(b.name) || b.targets.some((t) => only.includes(String(t))) : !b.byNameOnly,
  );
  const started = new Date();
  const figures: Figure[] = [];
  const errors: Array<{ bench: string; error: string }> = [];
  for (const bench of selected) {
    const log = (line: string) => process.stderr.write(`[${bench.name}] ${line}\n`);
    const t0 = performance.now();
    log(`running (${full ? "full" : "quick"})`);
    try {
      const limitMs = bench.limitS[full ? 1 : 0] * 1000;
      figures.push(...(await withTimeout(bench.run({ full, log }), limitMs, bench.name)));
    } catch (err) {
      log(`FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      errors.push({ bench: bench.name, error: String(err) });
    } finally {
      await cleanupAll();
    }
    log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const results = {
    mode: full ? "full" : "quick",
    command: `npm run bench${full ? " -- --full" : ""}`,
    startedAt: started.toISOString(),
    durationS: Math.round((Date.now() - started.getTime()) / 100) / 10,
    machine: machine(),
    figures,
    errors,
  };
  const out = values.out ?? RESULTS_FILE;
  fs.writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(renderTable(figures));
  if (values.markdown) console.log(`\n${renderMarkdown(figures)}\n\n${renderPeerMarkdown(figures)}`);
  const unmet = figures.filter((f) => f.target && !f.met).map((f) => f.target);
  console.log(`\n${results.mode} run, ${results.durationS} s; targets not met: ${unmet.length ? [...new Set(unmet)].join(", ") : "none"}; written to ${out}`);
  // Timings never fail the run; a benchmark that could not run does.
  return errors.length ? 1 : 0;
}

process.on("exit", cleanupSync);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    cleanupSync();
    process.exit(130);
  });
}
main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
