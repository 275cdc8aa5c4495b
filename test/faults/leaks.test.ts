// README "Reliability", row 7 (no leaks, resources stay bounded): 1,000 abrupt disconnects.
// Prints one line of figures.
import fs from "node:fs";
import path from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { MessageStatus } from "../../gen/claude_comms/v1/message_pb.js";
import { WaitMessageRequestSchema, WatchMessageRequestSchema, WatchMessagesRequestSchema } from "../../gen/claude_comms/v1/polling_service_pb.js";
import { connectClients, type TestClients } from "../helpers/clients.js";
import { startDaemonProcess, type DaemonProcess } from "../helpers/daemon-process.js";
import { makeTempHome } from "../helpers/temp-home.js";
import { codeName, count, fdCount, figures, fileSize, fixture, killChildren, sleep, spawnNode } from "./lib/kit.js";
import { openStream, rawSession } from "./lib/raw.js";

const ROUNDS = 10;
const ABORTS_PER_ROUND = 50;
const SESSIONS_PER_ROUND = 3;
const STREAMS_PER_SESSION = 10;
const CHILD_STREAMS_PER_ROUND = 20;
const MAX_WATCHERS = 200;
const IDS = Array.from({ length: 20 }, (_, i) => `lk-${i}`);
const PATH = "/claude_comms.v1.PollingService/";

function rssKb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
}

/** Opens one stream of each kind in turn and resets it by aborting the call. */
async function abortBatch(c: TestClients, n: number, round: number): Promise<void> {
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const controller = new AbortController();
      const id = IDS[(round + i) % IDS.length]!;
      const signal = controller.signal;
      if (i % 5 === 4) {
        const waiting = c.polling.waitMessage({ messageId: id, timeout: { seconds: 600n } }, { signal }).catch(() => undefined);
        await sleep(30);
        controller.abort();
        return waiting;
      }
      const stream = i % 2 ? c.polling.watchMessage({ messageId: id }, { signal }) : c.polling.watchMessages({ threadId: "lk" }, { signal });
      const it = stream[Symbol.asyncIterator]();
      await it.next();
      controller.abort();
      await it.next().catch(() => undefined);
      return undefined;
    }),
  );
}

/** Opens streams on a raw connection, then destroys its socket. */
async function destroyedSession(socketPath: string, round: number): Promise<void> {
  const { session, socket } = rawSession(socketPath);
  const opened = [];
  for (let i = 0; i < STREAMS_PER_SESSION; i++) {
    const id = IDS[(round + i) % IDS.length]!;
    if (i % 10 < 4) opened.push(openStream(session, `${PATH}WatchMessage`, toBinary(WatchMessageRequestSchema, create(WatchMessageRequestSchema, { messageId: id })), true));
    else if (i % 10 < 7) opened.push(openStream(session, `${PATH}WatchMessages`, toBinary(WatchMessagesRequestSchema, create(WatchMessagesRequestSchema, { threadId: "lk" })), true));
    else opened.push(openStream(session, `${PATH}WaitMessage`, toBinary(WaitMessageRequestSchema, create(WaitMessageRequestSchema, { messageId: id, timeout: { seconds: 600n } })), false));
  }
  await Promise.all(opened);
  await sleep(30);
  socket.destroy();
  session.destroy();
}

describe("no leaks after abrupt client disconnects", () => {
  const temp = makeTempHome("ccf-leak-");
  let daemon: DaemonProcess | undefined;
  // After a failure too: no daemon, fixture process or temp dir outlives the file.
  afterAll(async () => {
    killChildren();
    await daemon?.kill();
    temp.cleanup();
  });

  it("returns watchers, subscriptions and file descriptors to baseline, and keeps the WAL bounded", async () => {
    daemon = await startDaemonProcess(temp.home, ["--interval", "0.05", "--heartbeat", "200ms", "--max-watchers", String(MAX_WATCHERS)], { NODE_OPTIONS: "--max-old-space-size=48" });
    const c = connectClients(daemon.socket);
    for (const id of IDS) {
      await c.messages.createMessage({ threadId: "lk", messageId: id, status: MessageStatus.PROCESSING });
      await c.polling.addMessage({ messageId: id });
    }
    const wal = path.join(temp.home, "comms.db-wal");
    await sleep(500); // the client's idle connection closes
    const fdBaseline = fdCount(daemon.pid);
    const rssBefore = rssKb(daemon.pid);
    const walSizes: number[] = [];
    const kinds: Record<string, number> = {};
    let written = 0;
    let writtenBytes = 0;
    const rss: number[] = [];
    const chunk = "w".repeat(16_384);
    for (let round = 0; round < ROUNDS; round++) {
      await abortBatch(c, ABORTS_PER_ROUND, round);
      kinds.abort = (kinds.abort ?? 0) + ABORTS_PER_ROUND;
      for (let s = 0; s < SESSIONS_PER_ROUND; s++) await destroyedSession(daemon.socket, round + s);
      kinds.socket_destroyed = (kinds.socket_destroyed ?? 0) + SESSIONS_PER_ROUND * STREAMS_PER_SESSION;
      const child = spawnNode(fixture("faults-watch-client.mjs"), [daemon.socket, String(CHILD_STREAMS_PER_ROUND), ...IDS]);
      await child.waitFor("ready");
      await child.stop("SIGKILL");
      kinds.process_killed = (kinds.process_killed ?? 0) + CHILD_STREAMS_PER_ROUND;
      // Writes between the disconnects (new messages: transactions of one size): with no read
      // transaction left open, checkpoints keep reusing the WAL instead of growing it.
      for (let i = 0; i < 300; i += 30) {
        await Promise.all(
          Array.from({ length: 30 }, (_, k) => c.messages.createMessage({ threadId: "lk-w", messageId: `w-${round}-${i + k}`, content: chunk })),
        );
      }
      written += 300;
      writtenBytes += 300 * chunk.length;
      walSizes.push(fileSize(wal));
      rss.push(rssKb(daemon.pid));
    }
    const disconnects = Object.values(kinds).reduce((a, b) => a + b, 0);
    // Everything settles: no watcher, no subscription, no descriptor left behind.
    let watchers = -1;
    for (const end = Date.now() + 15_000; Date.now() < end; await sleep(100)) {
      watchers = (await c.polling.getDaemonStatus({})).watchers;
      if (watchers === 0) break;
    }
    let fds = -1;
    for (const end = Date.now() + 15_000; Date.now() < end; await sleep(200)) {
      await sleep(300);
      fds = fdCount(daemon.pid);
      if (fds <= fdBaseline + 2) break;
    }
    const rssAfter = rssKb(daemon.pid);
    // The hub's cap counts every subscription (WaitMessage too): all MAX_WATCHERS fit again,
    // one more is refused.
    const controller = new AbortController();
    const capacity = await Promise.all(
      Array.from({ length: MAX_WATCHERS + 1 }, async () => {
        try {
          const it = c.polling.watchMessages({ threadId: "cap" }, { signal: controller.signal })[Symbol.asyncIterator]();
          await it.next();
          return "OK";
        } catch (err) {
          return codeName(err);
        }
      }),
    );
    controller.abort();
    const capCodes: Record<string, number> = {};
    for (const code of capacity) count(capCodes, code);
    // No read transaction is open: a TRUNCATE checkpoint from outside completes.
    const outside = new Database(path.join(temp.home, "comms.db"));
    outside.pragma("busy_timeout = 5000");
    const checkpoint = outside.pragma("wal_checkpoint(TRUNCATE)") as Array<{ busy: number; log: number; checkpointed: number }>;
    outside.close();
    const walAfterTruncate = fileSize(wal);
    const status = await c.polling.getDaemonStatus({});
    const errorsLogged = fs
      .readFileSync(path.join(temp.home, "daemon.log"), "utf8")
      .split("\n")
      .filter((l) => l.includes('"level":"error"')).length;
    figures("leaks", {
      disconnects,
      kinds,
      watchers_after: watchers,
      fd_baseline: fdBaseline,
      fd_after: fds,
      rss_kb_before: rssBefore,
      rss_kb_per_round: rss.join(","),
      rss_kb_after: rssAfter,
      cap: `${capCodes.OK ?? 0}/${MAX_WATCHERS}`,
      over_cap: Object.keys(capCodes).filter((k) => k !== "OK").join(","),
      writes: written,
      written_mb: (writtenBytes / 1048576).toFixed(1),
      wal_kb_per_round: walSizes.map((s) => Math.round(s / 1024)).join(","),
      checkpoint_busy: checkpoint[0]!.busy,
      wal_after_truncate: walAfterTruncate,
      errors_logged: errorsLogged,
      daemon_alive: status.pid === daemon.pid,
    });
    expect(disconnects).toBeGreaterThanOrEqual(1000);
    expect(watchers).toBe(0);
    expect(fds).toBeLessThanOrEqual(fdBaseline + 2);
    expect(capCodes).toEqual({ OK: MAX_WATCHERS, ResourceExhausted: 1 });
    expect(checkpoint[0]!.busy).toBe(0);
    expect(walAfterTruncate).toBe(0);
    expect(errorsLogged).toBe(0); // a client hanging up is not the daemon's failure
    // The WAL stays under the writer's backstop auto-checkpoint (4,000 pages, 16 MiB, plus
    // a round's transactions) while more than twice that was written. The checkpointer
    // thread usually keeps it far smaller; how much smaller depends on how much CPU it gets.
    const walBound = 18 * 1048576;
    expect(Math.max(...walSizes)).toBeLessThan(walBound);
    expect(writtenBytes).toBeGreaterThan(2 * walBound);
    await daemon.stop();
  }, 120_000);
});
