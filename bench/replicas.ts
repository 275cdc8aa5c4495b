import { execFileSync } from "node:child_process";
import net from "node:net";
import path from "node:path";
import pg from "pg";
import { MessageStatus } from "../gen/claude_comms/v1/message_pb.js";
import { removeDir, tempDir } from "./lib/cleanup.js";
import { connectClients, type Clients } from "./lib/clients.js";
import { startDaemon, type BenchDaemon } from "./lib/daemon.js";
import { info, type Figure } from "./lib/figure.js";
import { size, type BenchOptions } from "./lib/options.js";
import { ROOT } from "./lib/paths.js";
import { quantile } from "./lib/stats.js";

/*
 * Three daemons on one PostgreSQL (issue "Past one machine"): cross-replica latency (a
 * SetStatus through daemon A until the event reaches a watcher on daemon C, interval 1 s so
 * only NOTIFY can make it fast) and write throughput through all three, with the same write
 * load against one SQLite daemon in the same run as the baseline. Uses CLAUDE_COMMS_BENCH_PG
 * (an admin URL) or starts a throwaway cluster with test/setup/postgres.sh.
 */

export async function replicas(options: BenchOptions): Promise<Figure[]> {
  const cluster = await postgres(options);
  const homes: string[] = [];
  const daemons: BenchDaemon[] = [];
  try {
    const url = await createDatabase(cluster.url);
    for (let i = 0; i < 3; i++) {
      homes.push(tempDir("ccr-"));
      daemons.push(await startDaemon(homes[i]!, ["--store", url, "--interval", "1"]));
    }
    const clients = daemons.map((d) => connectClients(d.socket));
    const latencies = await crossReplicaLatency(clients[0]!, clients[2]!, size(options, 100, 500));
    const writes = size(options, 1500, 6000);
    const replicated = await writeThroughput(clients, writes, "pg");
    const sqliteHome = tempDir("ccs-");
    homes.push(sqliteHome);
    const sqlite = await startDaemon(sqliteHome);
    daemons.push(sqlite);
    const single = await writeThroughput([connectClients(sqlite.socket)], writes, "sq");
    options.log(`latency p50 ${quantile(latencies, 0.5).toFixed(1)} ms, writes ${replicated.toFixed(0)}/s vs SQLite ${single.toFixed(0)}/s`);
    return [
      info("replicas_latency_p50", round(quantile(latencies, 0.5)), "ms", { n: latencies.length, path: "SetStatus on A → event at a watcher on C" }),
      info("replicas_latency_p99", round(quantile(latencies, 0.99)), "ms", { n: latencies.length }),
      {
        ...info("replicas_write_throughput", Math.round(replicated), "writes/s", { writes, inFlight: 48, daemons: 3 }),
        baseline: Math.round(single),
        baselineName: "one daemon on SQLite, same load",
        ratio: replicated / single,
        ratioMeaning: "value / baseline",
      },
    ];
  } finally {
    await Promise.all(daemons.map((d) => d.stop()));
    for (const home of homes) removeDir(home);
    cluster.stop();
  }
}

async function crossReplicaLatency(a: Clients, c: Clients, samples: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < samples; i++) {
    const id = `lat-${i}`;
    await a.messages.createMessage({ threadId: "lat", messageId: id, status: MessageStatus.PROCESSING });
    const stream = c.polling.watchMessage({ messageId: id })[Symbol.asyncIterator]();
    await stream.next(); // the snapshot: the watch is in place
    const sent = performance.now();
    await a.messages.setStatus({ messageId: id, status: MessageStatus.COMPLETE });
    await stream.next();
    latencies.push(performance.now() - sent);
    await stream.return?.();
  }
  return latencies;
}

/** CreateMessage+SetStatus pairs spread over the daemons, 48 in flight; returns writes/s. */
async function writeThroughput(clients: Clients[], writes: number, prefix: string): Promise<number> {
  let next = 0;
  const started = performance.now();
  const worker = async (w: number) => {
    const c = clients[w % clients.length]!;
    for (let i = next++; i < writes / 2; i = next++) {
      await c.messages.createMessage({ threadId: `${prefix}-${w}`, messageId: `${prefix}-${i}` });
      await c.messages.setStatus({ messageId: `${prefix}-${i}`, status: MessageStatus.COMPLETE });
    }
  };
  await Promise.all(Array.from({ length: 48 }, (_, w) => worker(w)));
  return writes / ((performance.now() - started) / 1000);
}

async function postgres(options: BenchOptions): Promise<{ url: string; stop(): void }> {
  if (process.env.CLAUDE_COMMS_BENCH_PG) return { url: process.env.CLAUDE_COMMS_BENCH_PG, stop: () => undefined };
  const dir = tempDir("ccpg-");
  const port = await freePort();
  const script = path.join(ROOT, "test/setup/postgres.sh");
  options.log(`starting a throwaway PostgreSQL on 127.0.0.1:${port}`);
  const url = execFileSync("bash", [script, "start", dir, String(port)], { encoding: "utf8" }).trim();
  return {
    url,
    stop: () => {
      execFileSync("bash", [script, "stop", dir]);
      removeDir(dir);
    },
  };
}

async function createDatabase(adminUrl: string): Promise<string> {
  const name = `ccbench_${Date.now()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const round = (n: number) => Math.round(n * 100) / 100;
