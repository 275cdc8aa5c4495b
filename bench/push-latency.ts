import { atMost, info, type Figure } from "./lib/figure.js";
import { size, type BenchOptions } from "./lib/options.js";
import { messageId } from "./lib/seed.js";
import { seededDaemon, startBareServer } from "./lib/servers.js";
import { summarize, type Summary } from "./lib/stats.js";
import { startWorker } from "./lib/worker.js";

/*
 * Target 3: SetStatus through the API until the event reaches a watcher, with 1,000 other
 * watchers connected (idle, on other messages), client in its own process. The bare server
 * doing the same from memory (no store, no poller) is the floor of the stack, same run.
 */

const OTHERS = 1000;

/** Runs target 3. */
export async function pushLatency(options: BenchOptions): Promise<Figure[]> {
  const samples = size(options, 200, 2000);
  // Message 0 is measured, 1–1000 are watched by the others. The default interval (1 s):
  // the write wakes the poller, nothing waits for a tick.
  const daemon = await seededDaemon({ messages: OTHERS + 1, monitored: OTHERS + 1 });
  const bare = await startBareServer();
  const out = {} as Record<"daemon" | "bare", { push: Summary; rtt: Summary }>;
  try {
    for (const target of ["bare", "daemon"] as const) {
      const server = target === "daemon" ? daemon : bare;
      const client = startWorker("clients/push-latency-client.js", {
        socket: server.socket,
        messageId: messageId(0),
        otherIds: Array.from({ length: OTHERS }, (_, i) => messageId(i + 1)),
        sessions: 10,
        samples,
        warmup: 50,
        timeoutMs: 30_000,
      });
      try {
        const result = await client.next<{ type: string; push: number[]; rtt: number[]; othersOpen: number }>("result", 120_000);
        if (result.othersOpen !== OTHERS) throw new Error(`only ${result.othersOpen} other watchers were open`);
        out[target] = { push: summarize(result.push), rtt: summarize(result.rtt) };
        options.log(`${target}: push p50 ${out[target].push.p50} ms, p99 ${out[target].push.p99} ms`);
      } finally {
        await client.stop();
      }
    }
  } finally {
    await daemon.stop();
    await bare.worker.stop();
  }
  const { daemon: d, bare: b } = out;
  const common = { otherWatchers: OTHERS, samples, client: "connect-node (generated client), separate process" };
  return [
    atMost(3, "push_latency_p50", d.push.p50, "ms", 2, "p50 ≤ 2 ms", {
      baseline: b.push.p50,
      baselineName: "bare server: SetStatus → event from memory",
      detail: { ...common, daemon: d, bare: b },
    }),
    atMost(3, "push_latency_p99", d.push.p99, "ms", 10, "p99 ≤ 10 ms", { baseline: b.push.p99, baselineName: "bare server" }),
    info("set_status_rtt_p50", d.rtt.p50, "ms", { bare: b.rtt }),
  ];
}
