import http2 from "node:http2";
import Database from "better-sqlite3";
import { fromBinary } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import net from "node:net";
import { EventKind, MessageStatus } from "../../gen/claude_comms/v1/message_pb.js";
import { MessageService } from "../../gen/claude_comms/v1/message_service_pb.js";
import { WatchMessageResponseSchema } from "../../gen/claude_comms/v1/polling_service_pb.js";
import { withTimeout } from "../lib/cleanup.js";
import { connectSession, openWatch, type WatchStream } from "../lib/h2-watch.js";
import { command, reply, runWorker, workerArgs } from "../lib/worker.js";

/*
 * Fan-out client: opens `watchers` WatchMessage streams on one message over `sessions`
 * HTTP/2 connections, waits for every SNAPSHOT, then makes `events` events happen on that
 * message and times their delivery: from the SetStatus call that sets them off to the last
 * stream having them all. For the daemon the events are written first by another process
 * (K status changes in one transaction, while the daemon's poller sleeps: --interval is
 * long), and a SetStatus on another message (a no-op write) wakes the poller at t0; for the
 * bare server SetStatus with error "burst:K" publishes them from memory. Reports "armed"
 * once the streams are open and waits for "go", so the orchestrator can read the server's
 * CPU time around the delivery alone.
 */

interface Args {
  socket: string;
  target: "daemon" | "bare";
  messageId: string;
  watchers: number;
  sessions: number;
  events: number;
  /** The daemon's SQLite file (target "daemon"). */
  database?: string;
  /** A message whose no-op SetStatus wakes the daemon's poller (target "daemon"). */
  wakeMessageId?: string;
  timeoutMs: number;
}

function writeEvents(args: Args): void {
  const db = new Database(args.database!);
  try {
    db.pragma("busy_timeout = 5000");
    const update = db.prepare("UPDATE messages SET status = ? WHERE message_id = ?");
    db.transaction(() => {
      for (let i = 0; i < args.events; i++) update.run(i % 2 ? "pending" : "processing", args.messageId);
    })();
  } finally {
    db.close();
  }
}

function messageClient(args: Args) {
  const transport = createGrpcTransport({
    baseUrl: "http://localhost",
    idleConnectionTimeoutMs: 100,
    nodeOptions: { createConnection: () => net.connect(args.socket) },
  });
  return createClient(MessageService, transport);
}

runWorker(async () => {
  const args = workerArgs<Args>();
  const sessions: http2.ClientHttp2Session[] = Array.from({ length: args.sessions }, () => connectSession(args.socket));
  let first = 0; // the first event at any stream
  let last = 0;
  let done = 0;
  const want = args.events + 1; // the SNAPSHOT, then the events
  let snapshots = 0;
  let onAllSnapshots: () => void = () => undefined;
  let onAllDone: () => void = () => undefined;
  const onMessage = (s: WatchStream) => {
    if (s.count === 1 && ++snapshots === args.watchers) onAllSnapshots();
    if (s.count === 2 && !first) first = performance.now();
    if (s.count === want) {
      last = performance.now();
      if (++done === args.watchers) onAllDone();
    }
  };
  const allSnapshots = new Promise<void>((r) => (onAllSnapshots = r));
  const allDone = new Promise<void>((r) => (onAllDone = r));
  const streams = Array.from({ length: args.watchers }, (_, i) => openWatch(sessions[i % args.sessions]!, args.messageId, onMessage));
  await withTimeout(allSnapshots, args.timeoutMs, `${args.watchers} snapshots`);
  const client = messageClient(args);
  if (args.target === "daemon") writeEvents(args);
  await reply({ type: "armed" });
  await command("go");
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await (args.target === "daemon"
    ? client.setStatus({ messageId: args.wakeMessageId!, status: MessageStatus.PENDING })
    : client.setStatus({ messageId: args.messageId, status: MessageStatus.PROCESSING, error: `burst:${args.events}` }));
  await withTimeout(allDone, args.timeoutMs, `${args.events} events to ${args.watchers} watchers`);
  const cpu = process.cpuUsage(cpu0);
  const lastEvent = fromBinary(WatchMessageResponseSchema, streams[0]!.last()!).event;
  if (lastEvent?.kind !== EventKind.STATUS_CHANGED) throw new Error(`unexpected last event: ${JSON.stringify(lastEvent)}`);
  const windowMs = last - t0;
  await reply({
    type: "result",
    delivered: args.events * args.watchers,
    windowMs,
    eventsPerSecond: (args.events * args.watchers) / (windowMs / 1000),
    triggerToFirstMs: first - t0,
    clientCpuShare: (cpu.user + cpu.system) / 1000 / (last - t0),
  });
  for (const s of streams) s.close();
  for (const s of sessions) s.close();
});
