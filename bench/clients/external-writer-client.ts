import Database from "better-sqlite3";
import { sleep, withTimeout } from "../lib/cleanup.js";
import { connectClients, openTimedWatch } from "../lib/clients.js";
import { reply, runWorker, workerArgs } from "../lib/worker.js";

/*
 * External writer client: watches one message through the daemon and, from this process,
 * changes its status in the SQLite file directly (as the original tool's writers do),
 * timing each commit until the STATUS_CHANGED event reaches the watch. Samples are spaced
 * at random so they fall anywhere in the poller's interval. The same-run baseline is a
 * reference poller in this process: a timer chain at the same interval reading
 * `PRAGMA data_version` on its own connection, the least any polling design can do here.
 */

interface Args {
  socket: string;
  database: string;
  messageId: string;
  samples: number;
  warmup: number;
  intervalMs: number;
  timeoutMs: number;
}

/** A minimal poller: every `intervalMs` (timer re-armed after each check) it compares data_version. */
function referencePoller(file: string, intervalMs: number) {
  const db = new Database(file, { readonly: true });
  let last = db.pragma("data_version", { simple: true });
  let waiter: ((t: number) => void) | undefined;
  let timer: NodeJS.Timeout;
  const check = () => {
    const version = db.pragma("data_version", { simple: true });
    if (version !== last) {
      last = version;
      waiter?.(performance.now());
      waiter = undefined;
    }
    timer = setTimeout(check, intervalMs);
  };
  timer = setTimeout(check, intervalMs);
  return {
    /** Resolves at the first check that sees a commit made after this call. */
    next: () => new Promise<number>((resolve) => (waiter = resolve)),
    stop: () => (clearTimeout(timer), db.close()),
  };
}

runWorker(async () => {
  const args = workerArgs<Args>();
  const { polling } = connectClients(args.socket);
  const watch = await openTimedWatch(polling, args.messageId, args.timeoutMs, "the watch");
  const db = new Database(args.database);
  db.pragma("busy_timeout = 5000");
  const update = db.prepare("UPDATE messages SET status = ? WHERE message_id = ?");
  const reference = referencePoller(args.database, args.intervalMs);
  const latencies: number[] = [];
  const referenceLatencies: number[] = [];
  for (let i = 0; i < args.warmup + args.samples; i++) {
    const event = watch.nextChange();
    const seen = reference.next();
    update.run(i % 2 ? "pending" : "processing", args.messageId); // autocommit
    const committed = performance.now();
    const [tEvent, tSeen] = await withTimeout(Promise.all([event, seen]), 10_000, `sample ${i}`);
    if (i >= args.warmup) (latencies.push(tEvent - committed), referenceLatencies.push(tSeen - committed));
    await sleep(Math.random() * args.intervalMs);
  }
  reference.stop();
  db.close();
  await watch.close();
  await reply({ type: "result", latencies, referenceLatencies });
});
