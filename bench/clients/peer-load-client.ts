import { sleep } from "../lib/cleanup.js";
import { command, reply, runWorker, workerArgs } from "../lib/worker.js";
import { openPeerClient, type PeerClient, type PeerClientOptions } from "../peers/peer-client.js";

/*
 * One client process of the peer benchmarks; the same code drives claude-comms, etcd and
 * Redis (see peers/peer-client.ts). Phases:
 * - latency: watches `keys`, then writes them round robin at `rate` writes/s (each key's
 *   writes one after another) and times each write's call to its watcher's event;
 * - fanout: `watchers` streams on one key; on "go" the writer (if `writes` > 0) writes it
 *   `writes` times in a row; reports when its last stream had every event;
 * - writes: `loops` clients each writing their own key back to back for `durationMs`;
 * - hold: opens `watchers` streams and holds them until "stop".
 * Times are absolute (timeOrigin + now), so several client processes can be compared.
 */

interface Args extends PeerClientOptions {
  phase: "latency" | "fanout" | "writes" | "hold";
  firstKey: number;
  keys?: number;
  rate?: number;
  durationMs?: number;
  watchers?: number;
  writes?: number;
  events?: number;
  loops?: number;
}

const now = () => performance.timeOrigin + performance.now();

async function latency(client: PeerClient, args: Args): Promise<void> {
  const keys = Array.from({ length: args.keys! }, (_, i) => args.firstKey + i);
  const sent = new Map<number, number[]>(keys.map((k) => [k, []]));
  const samples: number[] = [];
  for (const key of keys) {
    await client.watch(key, (n) => {
      for (let i = 0; i < n; i++) {
        const t = sent.get(key)!.shift();
        if (t !== undefined) samples.push(now() - t);
      }
    });
  }
  await client.prepare(keys);
  await reply({ type: "armed" });
  await command("go");
  await sleep(300);
  const chains = new Map<number, Promise<void>>();
  const gapMs = 1000 / args.rate!;
  const start = now();
  let errors = 0;
  for (let i = 0; now() - start < args.durationMs!; i++) {
    const key = keys[i % keys.length]!;
    const previous = chains.get(key) ?? Promise.resolve();
    chains.set(key, previous.then(async () => {
      sent.get(key)!.push(now());
      await client.write(key).catch(() => void errors++);
    }));
    const wait = start + (i + 1) * gapMs - now();
    if (wait > 0) await sleep(wait);
  }
  await Promise.all(chains.values());
  await sleep(500); // the last events in flight
  await reply({ type: "result", samples, errors, unanswered: [...sent.values()].reduce((n, q) => n + q.length, 0) });
}

async function fanout(client: PeerClient, args: Args): Promise<void> {
  const key = args.firstKey;
  let delivered = 0;
  let lastAt = 0;
  let streamsDone = 0;
  let onDone: () => void = () => undefined;
  const done = new Promise<void>((r) => (onDone = r));
  for (let i = 0; i < args.watchers!; i++) {
    let got = 0;
    await client.watch(key, (n) => {
      delivered += n;
      got += n;
      if (got >= args.events!) {
        lastAt = now();
        if (++streamsDone === args.watchers) onDone();
      }
    });
  }
  if (args.writes) await client.prepare([key]);
  await reply({ type: "armed" });
  await command("go");
  const startAt = now();
  for (let i = 0; i < (args.writes ?? 0); i++) await client.write(key);
  const writtenAt = now();
  await done;
  await reply({ type: "result", delivered, startAt, writtenAt, lastAt });
}

async function writes(client: PeerClient, args: Args): Promise<void> {
  const keys = Array.from({ length: args.loops! }, (_, i) => args.firstKey + i);
  await client.prepare(keys);
  await reply({ type: "armed" });
  await command("go");
  const cpu0 = process.cpuUsage();
  const end = now() + args.durationMs!;
  const counts = await Promise.all(
    keys.map(async (key) => {
      let n = 0;
      while (now() < end) {
        await client.write(key);
        n++;
      }
      return n;
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  await reply({ type: "result", writes: counts.reduce((a, b) => a + b, 0), clientCpuMs: (cpu.user + cpu.system) / 1000 });
}

async function hold(client: PeerClient, args: Args): Promise<void> {
  const closers: Array<() => void> = [];
  for (let i = 0; i < args.watchers!; i += 200) {
    const batch = Array.from({ length: Math.min(200, args.watchers! - i) }, (_, j) => client.watch(args.firstKey + i + j, () => undefined));
    closers.push(...(await Promise.all(batch)));
  }
  await reply({ type: "armed" });
  await command("stop");
  for (const close of closers) close();
  await reply({ type: "result" });
}

runWorker(async () => {
  const args = workerArgs<Args>();
  const client = openPeerClient(args);
  try {
    await { latency, fanout, writes, hold }[args.phase](client, args);
  } finally {
    client.close();
  }
});
