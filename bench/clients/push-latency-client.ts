import { MessageStatus } from "../../gen/claude_comms/v1/message_pb.js";
import { sleep, withTimeout } from "../lib/cleanup.js";
import { connectClients, openTimedWatch } from "../lib/clients.js";
import { connectSession, openWatch, type WatchStream } from "../lib/h2-watch.js";
import { reply, runWorker, workerArgs } from "../lib/worker.js";

/*
 * Push latency client: holds `others` idle WatchMessage streams on other messages, watches
 * one message with the generated Connect client, and times SetStatus (toggling PENDING ⇄
 * PROCESSING) from the call to the STATUS_CHANGED event arriving on the watch, one sample
 * at a time.
 */

interface Args {
  socket: string;
  messageId: string;
  otherIds: string[];
  sessions: number;
  samples: number;
  warmup: number;
  timeoutMs: number;
}

runWorker(async () => {
  const args = workerArgs<Args>();
  const sessions = Array.from({ length: args.sessions }, () => connectSession(args.socket));
  let snapshots = 0;
  let allSnapshots: () => void = () => undefined;
  const snapshotted = new Promise<void>((r) => (allSnapshots = r));
  const onMessage = (s: WatchStream) => s.count === 1 && ++snapshots === args.otherIds.length && allSnapshots();
  const others = args.otherIds.map((id, i) => openWatch(sessions[i % sessions.length]!, id, onMessage));
  await withTimeout(snapshotted, args.timeoutMs, `${args.otherIds.length} other watchers`);

  const { polling, messages } = connectClients(args.socket);
  const watch = await openTimedWatch(polling, args.messageId, args.timeoutMs, "the measured watch");

  const push: number[] = [];
  const rtt: number[] = [];
  for (let i = 0; i < args.warmup + args.samples; i++) {
    const event = watch.nextChange();
    const t0 = performance.now();
    const status = i % 2 ? MessageStatus.PENDING : MessageStatus.PROCESSING;
    const answered = messages.setStatus({ messageId: args.messageId, status }).then(() => performance.now());
    const [tEvent, tAnswer] = await withTimeout(Promise.all([event, answered]), 10_000, `sample ${i}`);
    if (i >= args.warmup) (push.push(tEvent - t0), rtt.push(tAnswer - t0));
    await sleep(1 + Math.random() * 2); // not back to back
  }
  await watch.close();
  for (const s of others) s.close();
  for (const s of sessions) s.close();
  await reply({ type: "result", push, rtt, othersOpen: others.filter((s) => s.count >= 1).length });
});
