import fs from "node:fs";
import http2 from "node:http2";
import net from "node:net";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import Database from "better-sqlite3";
import { EventKind } from "../../../gen/claude_comms/v1/message_pb.js";
import { WatchMessagesRequestSchema, WatchMessagesResponseSchema } from "../../../gen/claude_comms/v1/polling_service_pb.js";
import { envelope } from "./raw.js";

/*
 * Parts of the stalled-watchers fault test: watchers on HTTP/2 connections whose receive
 * window is zero, a burst of events written straight into the store file, and RSS samples.
 */

const WATCH_MANY = "/claude_comms.v1.PollingService/WatchMessages";

/** Resident set size of a process, bytes. */
export function rssBytes(pid: number): number {
  return 1024 * Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
}

/** Samples a process's RSS every 50 ms; stop() returns the peak. */
export function sampleRss(pid: number): { stop(): number } {
  let peak = rssBytes(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssBytes(pid))), 50);
  return { stop: () => (clearInterval(timer), Math.max(peak, rssBytes(pid))) };
}

/** Inserts `count` messages into the store file (one CREATED event each), in transactions of 1,000; returns the new head seq. */
export function insertMessages(dbFile: string, prefix: string, count: number): number {
  const db = new Database(dbFile);
  try {
    db.pragma("busy_timeout = 10000");
    const insert = db.prepare(
      "INSERT INTO messages (message_id, thread_id, module, content, type, timestamp, status, metadata) VALUES (?, ?, 'burst', '', 'response', ?, 'pending', '{}')",
    );
    const batch = db.transaction((from: number) => {
      for (let i = from; i < Math.min(count, from + 1000); i++) insert.run(`${prefix}-${i}`, `${prefix}-t`, Date.now() / 1000);
    });
    for (let from = 0; from < count; from += 1000) batch(from);
    return (db.prepare("SELECT MAX(seq) AS s FROM message_events").get() as { s: number }).s;
  } finally {
    db.close();
  }
}

/** A gRPC stream as a raw client saw it. */
export interface RawWatch {
  stream: http2.ClientHttp2Stream;
  /** Seqs of the logged events received (heartbeats excluded), in order. */
  seqs: number[];
  /** Seq of the first heartbeat. */
  startSeq?: number;
  trailers: http2.IncomingHttpHeaders;
  /** Resolves when the stream closed. */
  closed: Promise<void>;
}

/** A session on the daemon's socket that grants no receive window to its streams until opened. */
export function stalledSession(socketPath: string): http2.ClientHttp2Session {
  const session = http2.connect("http://localhost", {
    createConnection: () => net.connect(socketPath),
    settings: { initialWindowSize: 0 },
  });
  session.on("error", () => undefined);
  return session;
}

/** Opens WatchMessages (everything, optionally after `afterSeq`) and decodes what arrives. */
export function rawWatchMany(session: http2.ClientHttp2Session, afterSeq?: number): RawWatch {
  const req = create(WatchMessagesRequestSchema, { afterSeq: afterSeq === undefined ? undefined : BigInt(afterSeq) });
  const stream = session.request({ ":method": "POST", ":path": WATCH_MANY, "content-type": "application/grpc", te: "trailers" });
  stream.on("error", () => undefined);
  const watch: RawWatch = { stream, seqs: [], trailers: {}, closed: new Promise((r) => stream.once("close", r)) };
  let pending = Buffer.alloc(0);
  stream.on("data", (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 5 && pending.length >= 5 + pending.readUInt32BE(1)) {
      const size = pending.readUInt32BE(1);
      const { event } = fromBinary(WatchMessagesResponseSchema, pending.subarray(5, 5 + size));
      pending = pending.subarray(5 + size);
      if (event?.kind === EventKind.HEARTBEAT) watch.startSeq ??= Number(event.seq);
      else if (event) watch.seqs.push(Number(event.seq));
    }
  });
  stream.on("trailers", (t) => (watch.trailers = t));
  stream.end(envelope(toBinary(WatchMessagesRequestSchema, req)));
  return watch;
}

/** The gaps in a watcher's seqs: each seq must follow the one before by exactly 1. */
export function gapsIn(seqs: number[], after: number): number {
  let gaps = 0;
  let last = after;
  for (const seq of seqs) {
    if (seq !== last + 1) gaps++;
    last = seq;
  }
  return gaps;
}
