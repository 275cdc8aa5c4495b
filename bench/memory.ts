import { sleep } from "./lib/cleanup.js";
import { memoryOf } from "./lib/daemon.js";
import { atMost, type Figure } from "./lib/figure.js";
import { size, type BenchOptions } from "./lib/options.js";
import { messageId } from "./lib/seed.js";
import { seededDaemon, startBareServer } from "./lib/servers.js";
import { round } from "./lib/stats.js";
import { startWorker } from "./lib/worker.js";

/*
 * Target 8: daemon RSS with 10,000 open WatchMessage streams (one per message, from a
 * client process over 10 connections) and with 100,000 monitored messages, in MB (10^6
 * bytes, as the target says). Same-run baselines: the daemon before the streams open, and
 * the bare Connect-Node server holding as many streams (what the stack itself costs).
 */

const STREAMS = 10_000;
const MONITORED = 100_000;
const SETTLE_MS = 1000;

const MB = 1e6 / 2 ** 20; // MiB per MB

async function settledRss(pid: number): Promise<{ rssMB: number; peakMB: number }> {
  await sleep(SETTLE_MS);
  const m = memoryOf(pid);
  return { rssMB: round(m.rssMiB / MB, 1), peakMB: round(m.hwmMiB / MB, 1) };
}

async function holdStreams(options: BenchOptions, server: { pid: number; socket: string }, streams: number) {
  const idle = await settledRss(server.pid);
  const client = startWorker("clients/hold-watches-client.js", {
    socket: server.socket,
    ids: Array.from({ length: streams }, (_, i) => messageId(i)),
    sessions: Math.ceil(streams / 1000),
    timeoutMs: 120_000,
  });
  try {
    const open = await client.next<{ type: string; count: number; openMs: number }>("open", 150_000);
    const loaded = await settledRss(server.pid);
    options.log(`${open.count} streams open in ${Math.round(open.openMs)} ms: rss ${loaded.rssMB} MB (before ${idle.rssMB})`);
    client.send({ type: "close" });
    await client.next("closed", 30_000);
    return { idle, loaded, openMs: Math.round(open.openMs) };
  } finally {
    await client.stop();
  }
}

async function withStreams(options: BenchOptions, streams: number) {
  const daemon = await seededDaemon({ messages: streams, monitored: streams });
  try {
    return await holdStreams(options, daemon, streams);
  } finally {
    await daemon.stop();
  }
}

async function bareWithStreams(options: BenchOptions, streams: number) {
  const bare = await startBareServer();
  try {
    return await holdStreams(options, bare, streams);
  } finally {
    await bare.worker.stop();
  }
}

async function withMonitored(options: BenchOptions, monitored: number) {
  const daemon = await seededDaemon({ messages: monitored, monitored });
  try {
    const loaded = await settledRss(daemon.pid);
    options.log(`${monitored} monitored: rss ${loaded.rssMB} MB (ready in ${Math.round(daemon.readyMs)} ms)`);
    return { loaded, readyMs: Math.round(daemon.readyMs) };
  } finally {
    await daemon.stop();
  }
}

/** Runs target 8. */
export async function memory(options: BenchOptions): Promise<Figure[]> {
  const streams = size(options, STREAMS, STREAMS);
  const watched = await withStreams(options, streams);
  const bare = await bareWithStreams(options, streams);
  const monitored = await withMonitored(options, size(options, MONITORED, MONITORED));
  const perStreamKB = (m: typeof watched) => round(((m.loaded.rssMB - m.idle.rssMB) * 1000) / streams, 1);
  return [
    atMost(8, "rss_10k_watch_streams", watched.loaded.rssMB, "MB", 512, "≤ 512 MB", {
      baseline: bare.loaded.rssMB,
      baselineName: "bare Connect-Node server holding as many streams",
      detail: { daemon: { ...watched, perStreamKB: perStreamKB(watched) }, bare: { ...bare, perStreamKB: perStreamKB(bare) } },
    }),
    atMost(8, "rss_100k_monitored", monitored.loaded.rssMB, "MB", 300, "≤ 300 MB", {
      baseline: watched.idle.rssMB,
      baselineName: "idle daemon over 10,000 messages",
      detail: monitored,
    }),
  ];
}
