// README "Reliability", row 4 (a lock past the busy timeout is UNAVAILABLE): reads and watches carry on.
// Prints one line of figures.
import path from "node:path";
import { createClient } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventKind, MessageStatus } from "../../gen/claude_comms/v1/message_pb.js";
import { Health, HealthCheckResponse_ServingStatus as Serving } from "../../gen/grpc/health/v1/health_pb.js";
import { connectClients, type TestClients } from "../helpers/clients.js";
import { startDaemonProcess, type DaemonProcess } from "../helpers/daemon-process.js";
import { makeTempHome } from "../helpers/temp-home.js";
import { codeName, count, figures, fixture, killChildren, openReadOnly, sleep, spawnNode } from "./lib/kit.js";
import { checkWatcher, readLog, ResumingWatcher } from "./lib/watchers.js";

const BUSY_TIMEOUT_MS = 300;
const CYCLES = 2;

/** The code a call ends with ("OK" when it succeeds). */
async function outcome(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
    return "OK";
  } catch (err) {
    return codeName(err);
  }
}

describe("lock holder past the busy timeout", () => {
  const temp = makeTempHome("ccf-lock-");
  let daemon: DaemonProcess;
  let c: TestClients;

  beforeAll(async () => {
    daemon = await startDaemonProcess(temp.home, ["--busy-timeout", `${BUSY_TIMEOUT_MS}ms`, "--interval", "0.05", "--heartbeat", "200ms"]);
    c = connectClients(daemon.socket);
  });

  afterAll(async () => {
    killChildren();
    await daemon?.stop();
    temp.cleanup();
  });

  it("refuses writes UNAVAILABLE, keeps reads and watches working, and delivers the held changes after release", async () => {
    const health = createClient(Health, c.transport);
    const writes: Record<string, number> = {};
    const reads: Record<string, number> = {};
    const healthDuring: string[] = [];
    const watchers: ResumingWatcher[] = [];
    const ids: string[] = [];
    let unchanged = 0;
    const held: number[] = [];
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const id = `lk-${cycle}`;
      ids.push(id);
      await c.messages.createMessage({ threadId: "lk", messageId: id });
      await c.messages.createMessage({ threadId: "lk", messageId: `${id}-other`, status: MessageStatus.PROCESSING });
      await c.polling.addMessage({ messageId: id });
      const before = watchers.length;
      watchers.push(
        new ResumingWatcher(`one:${id}`, (afterSeq, signal) => c.polling.watchMessage({ messageId: id, afterSeq }, { signal })),
        new ResumingWatcher(`many:${id}`, (afterSeq, signal) => c.polling.watchMessages({ threadId: "lk", afterSeq }, { signal })),
      );
      for (const w of watchers.slice(before)) void w.run();
      await sleep(300);
      const holder = spawnNode(fixture("faults-lock-holder.mjs"), [path.join(temp.home, "comms.db"), id]);
      await holder.waitFor("locked");
      const shown = await c.polling.showMessage({ messageId: `${id}-other`, includeContent: true });
      // Writes while the lock is held past the busy timeout: UNAVAILABLE, nothing changed.
      const attempts: Array<() => Promise<unknown>> = [
        () => c.messages.createMessage({ threadId: "lk", messageId: `${id}-new` }),
        () => c.messages.createThread({ threadId: `${id}-thread` }),
        () => c.messages.setStatus({ messageId: `${id}-other`, status: MessageStatus.COMPLETE }),
        () => c.messages.appendContent({ messageId: `${id}-other`, content: "nope" }),
        () => c.polling.addMessage({ messageId: `${id}-other` }),
        () => c.polling.removeMessage({ messageId: id }),
        () => c.polling.cancelMessage({ messageId: `${id}-other` }),
      ];
      for (const attempt of attempts) count(writes, await outcome(attempt));
      // Reads and a new watch meanwhile.
      const newWatch = c.polling.watchMessage({ messageId: `${id}-other` })[Symbol.asyncIterator]();
      count(reads, (await newWatch.next()).value?.event?.kind === EventKind.SNAPSHOT ? "OK" : "no-snapshot");
      await newWatch.return?.();
      count(reads, await outcome(() => c.polling.showMessage({ messageId: id })));
      count(reads, await outcome(() => c.polling.listMessages({ all: true })));
      count(reads, await outcome(() => c.polling.getDaemonStatus({})));
      count(reads, await outcome(() => c.messages.getThread({ threadId: "lk" })));
      count(reads, await outcome(() => c.polling.waitMessage({ messageId: `${id}-other`, timeout: { nanos: 100_000_000 } })));
      healthDuring.push(Serving[(await health.check({})).status]);
      const after = await c.polling.showMessage({ messageId: `${id}-other`, includeContent: true });
      if (after.message?.status === shown.message?.status && after.message?.content === shown.message?.content) unchanged++;
      expect(holder.out()).not.toContain("released"); // all of the above ran while it held the lock
      holder.child.kill("SIGUSR2");
      await holder.waitFor("released", 10_000);
      held.push(Number(/released (\d+)/.exec(holder.out())?.[1]));
      // After the release: the watches see the held change, then a write through the daemon.
      await c.messages.setStatus({ messageId: id, status: MessageStatus.COMPLETE });
    }
    const one = watchers.filter((w) => w.name.startsWith("one:"));
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && !one.every((w) => w.finished)) await sleep(50);
    const head = (await c.polling.getDaemonStatus({})).headSeq;
    const many = watchers.filter((w) => w.name.startsWith("many:"));
    while (Date.now() < deadline && !many.every((w) => (w.lastSeq ?? 0n) >= head)) await sleep(50);
    for (const w of watchers) await w.stop();
    const conn = openReadOnly(path.join(temp.home, "comms.db"));
    const log = readLog(conn);
    conn.close();
    const reports = watchers.map((w) => {
      const id = w.name.split(":")[1]!;
      if (w.name.startsWith("one:")) {
        const end = log.find((e) => e.messageId === id && e.kind === EventKind.STATUS_CHANGED && e.toStatus === MessageStatus.COMPLETE)?.seq;
        return checkWatcher(w, log, (e) => e.messageId === id, end);
      }
      return checkWatcher(w, log, (e) => e.threadId === "lk", head);
    });
    const heldSeen = one.every((w) => w.events.some((e) => e.kind === EventKind.STATUS_CHANGED && e.toStatus === MessageStatus.PROCESSING));
    figures("lock", {
      cycles: CYCLES,
      held_ms: held.join(","),
      busy_timeout_ms: BUSY_TIMEOUT_MS,
      writes: writes,
      reads: reads,
      health_while_locked: healthDuring.join(","),
      unchanged: `${unchanged}/${CYCLES}`,
      watch_reconnects: watchers.reduce((n, w) => n + w.connects - 1, 0),
      events_delivered: reports.reduce((n, r) => n + r.delivered, 0),
      missing: reports.reduce((n, r) => n + r.missing, 0),
      held_change_seen: heldSeen,
      daemon_alive: daemon.child.exitCode === null,
    });
    expect(writes).toEqual({ Unavailable: 7 * CYCLES });
    expect(reads).toEqual({ OK: 6 * CYCLES });
    expect(healthDuring).toEqual(Array(CYCLES).fill("SERVING"));
    expect(unchanged).toBe(CYCLES);
    expect(watchers.every((w) => w.connects === 1)).toBe(true);
    expect(one.every((w) => w.finished)).toBe(true);
    expect(heldSeen).toBe(true);
    for (const r of reports) expect([r.name, r.missing, r.duplicated, r.disordered, r.extra]).toEqual([r.name, 0, 0, 0, 0]);
  }, 60_000);
});
