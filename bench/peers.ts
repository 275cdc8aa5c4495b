import { cpuMeter } from "./lib/cpu.js";
import { sleep } from "./lib/cleanup.js";
import { memoryOf } from "./lib/daemon.js";
import type { Figure } from "./lib/figure.js";
import { size, type BenchOptions } from "./lib/options.js";
import { median, quantile, round } from "./lib/stats.js";
import { startWorker, type WorkerMessage } from "./lib/worker.js";
import { versus, type PerSystem } from "./peers/figures.js";
import { ensurePrograms, startComms, startEtcd, startRedis, type PeerServer, type System } from "./peers/servers.js";

/*
 * claude-comms side by side with the systems a user could pick instead: etcd's Watch and
 * Redis streams. One server process each on loopback TCP, clients in separate processes
 * with the same shape for all three (peers/peer-client.ts), rounds interleaved so a busy
 * machine disturbs all three alike; the figures are medians over rounds, and the targets
 * compare claude-comms with etcd measured in the same run.
 */

const SYSTEMS: System[] = ["claude-comms", "etcd", "redis"];
const WATCHERS = 1000;
const SESSIONS = 10;
const MB = 1e6;

// Keys (claude-comms message ids m-0000000…): one range per phase.
const KEY = { latency1: 0, latency1000: 1, fanout: 1001, writes16: 1002, writes1: 1018, seeded: 1100 };

interface PhaseArgs {
  phase: "latency" | "fanout" | "writes" | "hold";
  firstKey: number;
  sessions: number;
  [key: string]: unknown;
}

type Result = WorkerMessage & Record<string, number & number[]>;

async function phase(server: PeerServer, clients: PhaseArgs[], timeoutMs: number) {
  const workers = clients.map((args) =>
    startWorker("clients/peer-load-client.js", { ...args, system: server.system, address: server.address, token: server.token }),
  );
  try {
    await Promise.all(workers.map((w) => w.next("armed", 180_000)));
    const meter = cpuMeter(server.pid);
    for (const w of workers) w.send({ type: "go" });
    const results = await Promise.all(workers.map((w) => w.next<Result>("result", timeoutMs)));
    return { results, cpu: meter() };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
}

/** Write → watcher latency samples (ms) at `rate` writes/s over `keys` watched keys. */
async function latency(server: PeerServer, firstKey: number, keys: number, durationMs: number) {
  const { results } = await phase(server, [{ phase: "latency", firstKey, keys, rate: 200, durationMs, sessions: SESSIONS }], durationMs + 60_000);
  const r = results[0]!;
  if (r.unanswered > keys) throw new Error(`${server.system}: ${r.unanswered} writes never reached their watcher`);
  return r.samples as number[];
}

/** Events/s delivered to WATCHERS streams of one key, and server CPU ms per 1,000 deliveries. */
async function fanOut(server: PeerServer, events: number) {
  const half = WATCHERS / 2;
  const base = { phase: "fanout", firstKey: KEY.fanout, watchers: half, events, sessions: SESSIONS / 2 } as const;
  const { results, cpu } = await phase(server, [{ ...base, writes: events }, { ...base, writes: 0 }], 180_000);
  const delivered = results.reduce((n, r) => n + r.delivered, 0);
  const windowMs = Math.max(...results.map((r) => r.lastAt)) - results[0]!.startAt;
  return { eventsPerSecond: delivered / (windowMs / 1000), cpuMsPer1k: cpu.cpuMs / (delivered / 1000) };
}

/** Acknowledged writes/s with `clients` writers (4 per process), and server CPU ms per write. */
async function writes(server: PeerServer, firstKey: number, clients: number, durationMs: number) {
  const processes = Math.ceil(clients / 4);
  const args = Array.from({ length: processes }, (_, p) => ({
    phase: "writes" as const,
    firstKey: firstKey + p * 4,
    loops: Math.min(4, clients - p * 4),
    durationMs,
    sessions: 1,
  }));
  const { results, cpu } = await phase(server, args, durationMs + 60_000);
  const total = results.reduce((n, r) => n + r.writes, 0);
  const clientCpuMs = results.reduce((n, r) => n + r.clientCpuMs, 0);
  return { perSecond: total / (durationMs / 1000), cpuMsPerWrite: cpu.cpuMs / total, clientCpuMsPerWrite: clientCpuMs / total };
}

/**
 * RSS (MB) before and with `streams` open watch streams, after an idle spell, and idle CPU.
 * The CPU is measured over the first `settleMs` after the streams opened, then over
 * `windows` consecutive windows of `windowMs`: the idle figure is their median, the steady
 * state the target is about; their mean and largest are kept beside it. A node process
 * compacts its heap once, some 20-30 s after a burst (V8's memory reducer, mostly on its
 * helper threads: about 0.7 s of CPU at 10,000 streams), which lands in one window.
 */
async function hold(server: PeerServer, streams: number, settleMs: number, windows: number, windowMs: number) {
  await sleep(500);
  const before = memoryOf(server.pid).rssMiB * 2 ** 20;
  const processes = 4;
  const workers = Array.from({ length: processes }, (_, p) =>
    startWorker("clients/peer-load-client.js", {
      phase: "hold",
      firstKey: p * (streams / processes),
      watchers: streams / processes,
      sessions: Math.max(1, streams / processes / 100),
      system: server.system,
      address: server.address,
      token: server.token,
    }),
  );
  try {
    await Promise.all(workers.map((w) => w.next("armed", 240_000)));
    await sleep(1000);
    const open = memoryOf(server.pid).rssMiB * 2 ** 20;
    const settling = cpuMeter(server.pid);
    await sleep(settleMs);
    const settleCpu = settling();
    const shares: number[] = [];
    for (let w = 0; w < windows; w++) {
      const meter = cpuMeter(server.pid);
      await sleep(windowMs);
      shares.push(meter().share * 100);
    }
    const after = memoryOf(server.pid).rssMiB * 2 ** 20;
    for (const w of workers) w.send({ type: "stop" });
    await Promise.all(workers.map((w) => w.next("result", 60_000)));
    return {
      openMB: open / MB,
      afterIdleMB: after / MB,
      perStreamKB: (open - before) / streams / 1000,
      settleCpuPercent: settleCpu.share * 100,
      idleCpuPercent: median(shares),
      idleCpuMeanPercent: shares.reduce((a, b) => a + b, 0) / shares.length,
      idleCpuMaxPercent: Math.max(...shares),
    };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
}

/**
 * Starts a fresh server and holds `streams` on it with the mode's windows (settle 3 s / 10 s,
 * then 3 windows of 3 s / 6 of 10 s), then stops it.
 */
async function holdFresh(start: () => Promise<PeerServer>, streams: number, options: BenchOptions) {
  const server = await start();
  try {
    const seconds = size(options, 3, 10) * 1000;
    return { system: server.system, h: await hold(server, streams, seconds, size(options, 3, 6), seconds) };
  } finally {
    await server.stop();
  }
}

/** The idle CPU of a hold, for the log: median window, mean, largest and the first seconds. */
function idleText(h: { idleCpuPercent: number; idleCpuMeanPercent: number; idleCpuMaxPercent: number; settleCpuPercent: number }): string {
  return `${round(h.idleCpuPercent, 2)} % median window (mean ${round(h.idleCpuMeanPercent, 2)}, largest ${round(h.idleCpuMaxPercent, 2)}; ${round(h.settleCpuPercent, 2)} % in the first seconds)`;
}

async function startAll(messages: number, args: string[] = []): Promise<PeerServer[]> {
  return [await startComms({ messages, args }), await startEtcd(), await startRedis()];
}

const perSystem = (f: (s: System) => number): PerSystem =>
  Object.fromEntries(SYSTEMS.map((s) => [s, round(f(s), 3)])) as PerSystem;

/** Samples per figure name and system (`add`), and each figure's medians per system (`m`). */
function samples() {
  const acc: Record<string, Record<System, number[]>> = {};
  return {
    add: (name: string, system: System, value: number) => void (acc[name] ??= { "claude-comms": [], etcd: [], redis: [] })[system].push(value),
    m: (name: string): PerSystem => perSystem((s) => median(acc[name]?.[s] ?? [])),
  };
}

/** Runs the peer comparison (issue targets 11–14 of BENCHMARKS.md). */
export async function peers(options: BenchOptions): Promise<Figure[]> {
  const missing = ensurePrograms({ etcd: "etcd-server", "redis-server": "redis-server" });
  if (missing.length) throw new Error(`the peer benchmarks need ${missing.join(", ")}: install them with apt-get (the bench does so itself when run as root)`);
  const rounds = size(options, 1, 3);
  const seconds = (quick: number, full: number) => size(options, quick, full) * 1000;
  const { add, m } = samples();
  const servers = await startAll(KEY.seeded);
  const full = await startComms({ messages: KEY.seeded, synchronous: "full" });
  try {
    for (let r = 0; r < rounds; r++) {
      for (const server of servers) {
        const s = server.system;
        const log = (what: string) => options.log(`round ${r + 1} ${s}: ${what}`);
        const one = await latency(server, KEY.latency1, 1, seconds(3, 10));
        add("p99_1", s, quantile(one, 0.99));
        add("p50_1", s, quantile(one, 0.5));
        const many = await latency(server, KEY.latency1000, WATCHERS, seconds(4, 15));
        add("p99_1000", s, quantile(many, 0.99));
        log(`latency p99 ${round(quantile(one, 0.99), 2)} ms (1 watcher), ${round(quantile(many, 0.99), 2)} ms (1,000)`);
        const fan = await fanOut(server, size(options, 100, 500));
        add("fanout", s, fan.eventsPerSecond);
        add("fanout_cpu", s, fan.cpuMsPer1k);
        log(`fan-out ${Math.round(fan.eventsPerSecond)} events/s, ${round(fan.cpuMsPer1k, 2)} cpu-ms/1k`);
        const w16 = await writes(server, KEY.writes16, 16, seconds(3, 10));
        const w1 = await writes(server, KEY.writes1, 1, seconds(2, 5));
        add("writes16", s, w16.perSecond);
        add("write_cpu", s, w16.cpuMsPerWrite);
        add("client_write_cpu", s, w16.clientCpuMsPerWrite);
        add("writes1", s, w1.perSecond);
        log(`writes ${Math.round(w16.perSecond)}/s (16 clients), ${Math.round(w1.perSecond)}/s (1), ${round(w16.cpuMsPerWrite, 3)} cpu-ms/write (clients ${round(w16.clientCpuMsPerWrite, 3)})`);
      }
      const f16 = await writes(full, KEY.writes16, 16, seconds(3, 10));
      const f1 = await writes(full, KEY.writes1, 1, seconds(2, 5));
      add("writes16_full", "claude-comms", f16.perSecond);
      add("writes1_full", "claude-comms", f1.perSecond);
      options.log(`round ${r + 1} claude-comms synchronous=full: writes ${Math.round(f16.perSecond)}/s (16), ${Math.round(f1.perSecond)}/s (1)`);
    }
  } finally {
    await Promise.all([...servers, full].map((s) => s.stop()));
  }
  const streams = size(options, 2000, 10_000);
  for (const start of [() => startComms({ messages: streams }), startEtcd, startRedis]) {
    const { system, h } = await holdFresh(start, streams, options);
    add("rss_open", system, h.openMB);
    add("rss_idle", system, h.afterIdleMB);
    add("rss_per_stream", system, h.perStreamKB);
    add("idle_cpu", system, h.idleCpuPercent);
    add("idle_cpu_mean", system, h.idleCpuMeanPercent);
    add("idle_cpu_max", system, h.idleCpuMaxPercent);
    add("settle_cpu", system, h.settleCpuPercent);
    options.log(`${system}: ${streams} streams ${round(h.openMB, 1)} MB (${round(h.perStreamKB, 1)} KB each), ${round(h.afterIdleMB, 1)} MB after idle, idle CPU ${idleText(h)}`);
  }
  return figures(m, streams);
}

/**
 * Only the durable-write phase of the comparison (target 12), for iterating on the write
 * path: etcd, claude-comms synchronous=normal and synchronous=full, interleaved rounds.
 */
export async function peerWrites(options: BenchOptions): Promise<Figure[]> {
  const missing = ensurePrograms({ etcd: "etcd-server" });
  if (missing.length) throw new Error(`the peer write benchmark needs ${missing.join(", ")}: install it with apt-get`);
  const rounds = size(options, 2, 3);
  const seconds = (quick: number, full: number) => size(options, quick, full) * 1000;
  const { add, m } = samples();
  const normal = await startComms({ messages: KEY.seeded });
  const full = await startComms({ messages: KEY.seeded, synchronous: "full" });
  const etcd = await startEtcd();
  try {
    for (let r = 0; r < rounds; r++) {
      for (const [server, suffix] of [[etcd, ""], [normal, ""], [full, "_full"]] as const) {
        const w16 = await writes(server, KEY.writes16, 16, seconds(3, 10));
        const w1 = await writes(server, KEY.writes1, 1, seconds(2, 5));
        add(`writes16${suffix}`, server.system, w16.perSecond);
        add(`writes1${suffix}`, server.system, w1.perSecond);
        add(`write_cpu${suffix}`, server.system, w16.cpuMsPerWrite);
        options.log(`round ${r + 1} ${server.system}${suffix}: writes ${Math.round(w16.perSecond)}/s (16 clients), ${Math.round(w1.perSecond)}/s (1), ${round(w16.cpuMsPerWrite, 3)} cpu-ms/write (clients ${round(w16.clientCpuMsPerWrite, 3)})`);
      }
    }
  } finally {
    await Promise.all([normal, full, etcd].map((s) => s.stop()));
  }
  const fullVsEtcd = (name: string, etcdName: string): PerSystem => ({ ...m(etcdName), "claude-comms": m(name)["claude-comms"] });
  return [
    versus("peer_writes_full_16_clients", "writes/s", fullVsEtcd("writes16_full", "writes16"), { target: 12, better: "higher", factor: 1, goal: "synchronous=full ≥ etcd" }),
    versus("peer_writes_full_1_client", "writes/s", fullVsEtcd("writes1_full", "writes1"), { target: 12, better: "higher", factor: 0.8, goal: "synchronous=full ≥ 0.8× etcd" }),
    versus("peer_writes_normal_16_clients", "writes/s", m("writes16"), { target: 12, better: "higher", factor: 3, goal: "synchronous=normal ≥ 3× etcd" }),
    versus("peer_write_cpu", "cpu-ms", m("write_cpu"), { target: 0, better: "lower", factor: 1, goal: "info: server CPU per write" }),
    versus("peer_write_cpu_full", "cpu-ms", fullVsEtcd("write_cpu_full", "write_cpu"), { target: 0, better: "lower", factor: 1, goal: "info: server CPU per write, synchronous=full" }),
  ];
}

/**
 * Only the latency phase of "peers" (target 13), for iterating on the push path: etcd and
 * claude-comms interleaved, p50/p90/p99 per round.
 */
export async function peerLatency(options: BenchOptions): Promise<Figure[]> {
  const missing = ensurePrograms({ etcd: "etcd-server" });
  if (missing.length) throw new Error(`the peer latency benchmark needs ${missing.join(", ")}: install it with apt-get`);
  const rounds = size(options, 3, 5);
  const { add, m } = samples();
  const servers = [await startEtcd(), await startComms({ messages: KEY.seeded })];
  const q = (xs: number[]) => [0.5, 0.9, 0.99].map((p) => round(quantile(xs, p), 2)).join(" / ");
  try {
    for (let r = 0; r < rounds; r++) {
      for (const server of servers) {
        const one = await latency(server, KEY.latency1, 1, size(options, 3, 10) * 1000);
        const many = await latency(server, KEY.latency1000, WATCHERS, size(options, 4, 15) * 1000);
        add("p99_1", server.system, quantile(one, 0.99));
        add("p99_1000", server.system, quantile(many, 0.99));
        options.log(`round ${r + 1} ${server.system}: p50/p90/p99 ${q(one)} ms (1 watcher), ${q(many)} ms (1,000)`);
      }
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
  return [
    versus("peer_latency_p99_1_watcher", "ms", m("p99_1"), { target: 13, better: "lower", factor: 1, goal: "≤ etcd at 200 writes/s" }),
    versus("peer_latency_p99_1000_watchers", "ms", m("p99_1000"), { target: 13, better: "lower", factor: 1, goal: "≤ etcd at 200 writes/s" }),
  ];
}

/**
 * Only the idle phase of "peers" (target 14), for iterating on what open streams cost:
 * claude-comms and etcd, fresh servers each round, RSS and idle CPU per round.
 */
export async function peerHold(options: BenchOptions): Promise<Figure[]> {
  const missing = ensurePrograms({ etcd: "etcd-server" });
  if (missing.length) throw new Error(`the peer hold benchmark needs ${missing.join(", ")}: install it with apt-get`);
  const rounds = size(options, 2, 3);
  const streams = size(options, 2000, 10_000);
  const { add, m } = samples();
  for (let r = 0; r < rounds; r++) {
    for (const start of [() => startComms({ messages: streams }), startEtcd]) {
      const { system, h } = await holdFresh(start, streams, options);
      add("rss_open", system, h.openMB);
      add("idle_cpu", system, h.idleCpuPercent);
      options.log(`round ${r + 1} ${system}: ${streams} streams ${round(h.openMB, 1)} MB, ${round(h.afterIdleMB, 1)} MB after idle, idle CPU ${idleText(h)}`);
    }
  }
  return [
    versus(`peer_rss_${streams}_streams`, "MB", m("rss_open"), { target: 0, better: "lower", factor: 1, goal: "info: RSS with the streams open" }),
    versus(`peer_idle_cpu_${streams}_streams`, "% of a core", m("idle_cpu"), { target: 0, better: "lower", factor: 0, goal: "info: ≤ 2 % of a core", bound: 2 }),
  ];
}

function figures(m: (name: string) => PerSystem, streams: number): Figure[] {
  const durability = { "claude-comms": "SQLite WAL synchronous=normal (full where named)", etcd: "fsync on commit", redis: "appendfsync everysec" };
  const fullVsEtcd = (name: string, etcdName: string): PerSystem => ({ ...m(etcdName), "claude-comms": m(name)["claude-comms"] });
  const rssOpen = m("rss_open");
  const rssIdle = m("rss_idle");
  return [
    versus("peer_fanout_1000_watchers", "events/s", m("fanout"), { target: 11, better: "higher", factor: 1, goal: "≥ etcd (one stream per watcher)" }, { durability }),
    versus("peer_fanout_cpu_per_1k", "cpu-ms", m("fanout_cpu"), { target: 11, better: "lower", factor: 1, goal: "≤ etcd" }),
    versus("peer_writes_full_16_clients", "writes/s", fullVsEtcd("writes16_full", "writes16"), { target: 12, better: "higher", factor: 1, goal: "synchronous=full ≥ etcd" }, { durability }),
    versus("peer_writes_full_1_client", "writes/s", fullVsEtcd("writes1_full", "writes1"), { target: 12, better: "higher", factor: 0.8, goal: "synchronous=full ≥ 0.8× etcd" }),
    versus("peer_writes_normal_16_clients", "writes/s", m("writes16"), { target: 12, better: "higher", factor: 3, goal: "synchronous=normal ≥ 3× etcd" }),
    versus("peer_write_cpu", "cpu-ms", m("write_cpu"), { target: 0, better: "lower", factor: 1, goal: "info: server CPU per write" }),
    versus("peer_write_client_cpu", "cpu-ms", m("client_write_cpu"), { target: 0, better: "lower", factor: 1, goal: "info: the clients' CPU per write (same cores)" }),
    versus("peer_latency_p99_1_watcher", "ms", m("p99_1"), { target: 13, better: "lower", factor: 1, goal: "≤ etcd at 200 writes/s" }),
    versus("peer_latency_p99_1000_watchers", "ms", m("p99_1000"), { target: 13, better: "lower", factor: 1, goal: "≤ etcd at 200 writes/s" }),
    versus("peer_rss_per_stream", "KB", m("rss_per_stream"), { target: 14, better: "lower", factor: 1, goal: "≤ etcd's per stream" }, { streams }),
    // The 300 MB bound is for 10,000 streams: quick mode's 2,000 are reported, not judged
    // (a bound scaled down to 60 MB would ignore the server's own size before any stream).
    versus(`peer_rss_${streams}_streams`, "MB", rssOpen, streams === 10_000
      ? { target: 14, better: "lower", factor: 0, goal: "≤ 300 MB at 10,000 streams", bound: 300 }
      : { target: 0, better: "lower", factor: 0, goal: "info: the bound (300 MB) is for 10,000 streams (--full)" }, { afterIdle: rssIdle, streams }),
    versus(`peer_rss_${streams}_streams_after_idle`, "MB", rssIdle, { target: 14, better: "lower", factor: 0, goal: "flat while idle (≤ 1.1× at open)", bound: rssOpen["claude-comms"] * 1.1 }),
    versus(`peer_idle_cpu_${streams}_streams`, "% of a core", m("idle_cpu"), { target: 14, better: "lower", factor: 0, goal: "≤ 2 % of a core", bound: 2 }, {
      firstSeconds: m("settle_cpu"),
      windowsMean: m("idle_cpu_mean"),
      largestWindow: m("idle_cpu_max"),
      measured: "median of consecutive windows after the first seconds with the streams open; the heap's one compaction after the burst lands in one window (in windowsMean and largestWindow)",
    }),
  ];
}
