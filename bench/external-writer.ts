import { atMost, info, type Figure } from "./lib/figure.js";
import { size, type BenchOptions } from "./lib/options.js";
import { messageId } from "./lib/seed.js";
import { seededDaemon } from "./lib/servers.js";
import { summarize } from "./lib/stats.js";
import { startWorker } from "./lib/worker.js";

/*
 * Target 4: another process updates the SQLite file; with --interval 0.1 the event must
 * reach a watcher within the interval plus 10 ms (p99). Same-run baseline: a reference
 * poller at the same interval in the client process (see the client), which shows what the
 * machine's scheduling adds to any poller.
 */

const INTERVAL_MS = 100;

/** Runs target 4. */
export async function externalWriter(options: BenchOptions): Promise<Figure[]> {
  const samples = size(options, 60, 400);
  const daemon = await seededDaemon({ messages: 1000, monitored: 1000 }, ["--interval", String(INTERVAL_MS / 1000)]);
  const client = startWorker("clients/external-writer-client.js", {
    socket: daemon.socket,
    database: daemon.database,
    messageId: messageId(0),
    samples,
    warmup: 5,
    intervalMs: INTERVAL_MS,
    timeoutMs: 30_000,
  });
  let result: { latencies: number[]; referenceLatencies: number[] };
  try {
    result = await client.next<{ type: string; latencies: number[]; referenceLatencies: number[] }>("result", samples * 300 + 30_000);
  } finally {
    await client.stop();
    await daemon.stop();
  }
  const s = summarize(result.latencies, 1);
  const ref = summarize(result.referenceLatencies, 1);
  options.log(`commit → event: p50 ${s.p50} ms, p99 ${s.p99} ms, max ${s.max} ms; reference poller p99 ${ref.p99} ms`);
  return [
    atMost(4, "external_write_p99", s.p99, "ms", INTERVAL_MS + 10, "p99 ≤ interval + 10 ms", {
      baseline: ref.p99,
      baselineName: "reference poller (data_version every interval) in the client process",
      detail: { daemon: s, referencePoller: ref, intervalMs: INTERVAL_MS, monitored: 1000 },
    }),
    info("external_write_p50", s.p50, "ms"),
  ];
}
