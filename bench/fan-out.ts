import { cpuMeter } from "./lib/cpu.js";
import { atLeastRatio, type Figure } from "./lib/figure.js";
import { size, type BenchOptions } from "./lib/options.js";
import { messageId } from "./lib/seed.js";
import { seededDaemon, startBareServer } from "./lib/servers.js";
import { median, round } from "./lib/stats.js";
import { startWorker } from "./lib/worker.js";

/*
 * Target 5: events/s delivered to 1,000 watchers of one message through the daemon, against
 * a bare Connect-Node server streaming the same events to 1,000 streams from memory. Rounds
 * alternate between the two; the figure is the ratio of the medians. Delivery is timed from
 * the call that sets the events off to the last stream having them all. The server's CPU
 * time per 1,000 events delivered is kept too: a ratio that other load on the machine
 * disturbs far less than wall-clock rates.
 */

const WATCHERS = 1000;
const SESSIONS = 10;

interface Round {
  eventsPerSecond: number;
  serverCpuMsPer1k: number;
  serverCpuShare: number;
  clientCpuShare: number;
}

/** Runs target 5. */
export async function fanOut(options: BenchOptions): Promise<Figure[]> {
  const events = size(options, 200, 500);
  const rounds = size(options, 1, 5);
  const id = messageId(0);
  // A long interval: the poller ticks only when the client's SetStatus wakes it (see the client).
  const daemon = await seededDaemon({ messages: 2, monitored: 2 }, ["--interval", "600", "--heartbeat", "600s"]);
  const bare = await startBareServer();
  const results: Record<"daemon" | "bare", Round[]> = { daemon: [], bare: [] };
  try {
    // Round 0 warms both servers up (JIT, the watch paths) and is not counted.
    for (let r = 0; r <= rounds; r++) {
      for (const target of ["bare", "daemon"] as const) {
        const server = target === "daemon" ? daemon : bare;
        const client = startWorker("clients/fan-out-client.js", {
          socket: server.socket,
          target,
          messageId: id,
          watchers: WATCHERS,
          sessions: SESSIONS,
          events,
          database: daemon.database,
          wakeMessageId: messageId(1),
          timeoutMs: size(options, 30_000, 120_000),
        });
        try {
          await client.next("armed", 60_000);
          const meter = cpuMeter(server.pid);
          client.send({ type: "go" });
          const result = await client.next<{ type: string; eventsPerSecond: number; delivered: number; clientCpuShare: number }>(
            "result",
            size(options, 60_000, 240_000),
          );
          const cpu = meter();
          const measured: Round = {
            eventsPerSecond: Math.round(result.eventsPerSecond),
            serverCpuMsPer1k: round(cpu.cpuMs / (result.delivered / 1000), 2),
            serverCpuShare: cpu.share,
            clientCpuShare: round(result.clientCpuShare, 2),
          };
          if (r > 0) results[target].push(measured);
          options.log(`${r ? "" : "(warm-up) "}${target}: ${measured.eventsPerSecond} events/s, server ${measured.serverCpuMsPer1k} cpu-ms/1k events (share ${round(cpu.share, 3)})`);
        } finally {
          await client.stop();
        }
      }
    }
  } finally {
    await daemon.stop();
    await bare.worker.stop();
  }
  const ours = median(results.daemon.map((x) => x.eventsPerSecond));
  const base = median(results.bare.map((x) => x.eventsPerSecond));
  const cpuPer1k = (t: "daemon" | "bare") => median(results[t].map((x) => x.serverCpuMsPer1k));
  return [
    atLeastRatio(5, "fan_out_1000_watchers", ours, "events/s", base, "bare Connect-Node server, same events from memory", 0.8, "≥ 80% of bare server", {
      watchers: WATCHERS,
      sessions: SESSIONS,
      eventsPerRound: events,
      cpuRatio: round(cpuPer1k("bare") / cpuPer1k("daemon"), 3),
      cpuRatioMeaning: "bare server CPU per event / daemon CPU per event (1 = as efficient)",
      rounds: results,
    }),
  ];
}
