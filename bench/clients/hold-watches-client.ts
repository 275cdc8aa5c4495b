import { withTimeout } from "../lib/cleanup.js";
import { connectSession, openWatch, type WatchStream } from "../lib/h2-watch.js";
import { command, reply, runWorker, workerArgs } from "../lib/worker.js";

/*
 * Opens one WatchMessage stream per id over `sessions` HTTP/2 connections, reports "open"
 * once every stream has its SNAPSHOT, holds them until told to "close".
 */

interface Args {
  socket: string;
  ids: string[];
  sessions: number;
  timeoutMs: number;
}

runWorker(async () => {
  const args = workerArgs<Args>();
  const sessions = Array.from({ length: args.sessions }, () => connectSession(args.socket));
  let snapshots = 0;
  let all: () => void = () => undefined;
  const open = new Promise<void>((r) => (all = r));
  const onMessage = (s: WatchStream) => s.count === 1 && ++snapshots === args.ids.length && all();
  const t0 = performance.now();
  const streams = args.ids.map((id, i) => openWatch(sessions[i % sessions.length]!, id, onMessage));
  await withTimeout(open, args.timeoutMs, `${args.ids.length} watches`);
  await reply({ type: "open", count: snapshots, openMs: performance.now() - t0 });
  await command("close");
  for (const s of streams) s.close();
  for (const s of sessions) s.close();
  await reply({ type: "closed", stillOpen: streams.filter((s) => s.count === 0).length });
});
