// README "Reliability", row 5 (disk full / read-only store): real small file systems, root only.
// Prints one line of figures.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createClient } from "@connectrpc/connect";
import { afterAll, describe, expect, it } from "vitest";
import { EventKind, MessageStatus } from "../../gen/claude_comms/v1/message_pb.js";
import { Health, HealthCheckResponse_ServingStatus as Serving } from "../../gen/grpc/health/v1/health_pb.js";
import { connectClients, type TestClients } from "../helpers/clients.js";
import { requireRoot, requireTool } from "../helpers/require-tool.js";
import { startDaemonProcess, type DaemonProcess } from "../helpers/daemon-process.js";
import { type Ack, codeName, count, figures, integrity, lostWrites, openReadOnly, sleep } from "./lib/kit.js";
import { ext4Unavailable, fillUp, fsck, mountExt4, mountTmpfs, mountUnavailable, triggerFsError, unmount } from "./lib/mounts.js";
import { ResumingWatcher } from "./lib/watchers.js";

const REFUSED_OK = ["ResourceExhausted", "FailedPrecondition", "Unavailable"];
const BIG = "d".repeat(16 * 1024);

/** Runs one write; records it in `acks` when acknowledged; returns its code. */
async function attempt(acks: Ack[], ack: Ack, call: () => Promise<unknown>): Promise<string> {
  try {
    const res = await call();
    acks.push({ ...ack, len: ack.op === "append" ? Number((res as { contentLength: bigint }).contentLength) : undefined });
    return "OK";
  } catch (err) {
    return codeName(err);
  }
}

/** Waits until a write goes through again (no restart); returns the attempts it took. */
async function untilWritable(c: TestClients, acks: Ack[], id: string): Promise<number> {
  for (let tries = 1; tries <= 100; tries++) {
    const code = await attempt(acks, { op: "create", id, thread: "disk", status: "pending", content: "" }, () =>
      c.messages.createMessage({ threadId: "disk", messageId: id }),
    );
    if (code === "OK") return tries;
    await sleep(100);
  }
  return -1;
}

/** Fails the test, saying what is missing, unless small file systems (and ext4 images) can be mounted here. */
function requireMounts(ext4: boolean): void {
  requireRoot("it mounts small file systems");
  for (const program of ["mount", "umount", "findmnt"]) requireTool(program, "util-linux");
  if (ext4) for (const program of ["mkfs.ext4", "e2fsck"]) requireTool(program, "e2fsprogs");
  const why = ext4 ? ext4Unavailable() : mountUnavailable();
  if (why) throw new Error(`cannot mount a test file system here: ${why}`);
}

async function healthOf(c: TestClients): Promise<string> {
  return Serving[(await createClient(Health, c.transport).check({})).status];
}

/** Reads, a new watch, and the open watchers while writes are refused. */
async function readsWork(c: TestClients, id: string): Promise<Record<string, number>> {
  const reads: Record<string, number> = {};
  const ok = (p: Promise<unknown>) => p.then(() => count(reads, "OK"), (err) => count(reads, codeName(err)));
  await ok(c.polling.showMessage({ messageId: id, includeContent: true }));
  await ok(c.polling.listMessages({ all: true }));
  await ok(c.polling.getDaemonStatus({}));
  await ok(c.messages.getThread({ threadId: "disk" }));
  const fresh = c.polling.watchMessage({ messageId: id })[Symbol.asyncIterator]();
  await ok(fresh.next().then((r) => (r.value?.event?.kind === EventKind.SNAPSHOT ? undefined : Promise.reject(new Error("no snapshot")))));
  await fresh.return?.();
  return reads;
}

describe("disk faults", () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "ccf-disk-"));
  const mounted: string[] = [];
  const daemons: DaemonProcess[] = [];
  afterAll(async () => {
    for (const d of daemons) await d.kill();
    for (const dir of mounted.reverse()) unmount(dir);
    fs.rmSync(base, { recursive: true, force: true });
  });

  it("full disk: writes refused RESOURCE_EXHAUSTED, nothing half-written, reads and watches work, recovery without restart", async () => {
    requireMounts(false);
    const mnt = path.join(base, "tmpfs");
    mountTmpfs(mnt, 8);
    mounted.push(mnt);
    const home = path.join(mnt, "h");
    const daemon = await startDaemonProcess(home, ["--log-file", path.join(base, "full.log"), "--interval", "0.05", "--heartbeat", "200ms"]);
    daemons.push(daemon);
    const c = connectClients(daemon.socket);
    const acks: Ack[] = [];
    await c.messages.createMessage({ threadId: "disk", messageId: "df-open", status: MessageStatus.PROCESSING, content: "start;" });
    acks.push({ op: "create", id: "df-open", thread: "disk", status: "processing", content: "start;" });
    await c.polling.addMessage({ messageId: "df-open" });
    const watchers = [
      new ResumingWatcher("one", (afterSeq, signal) => c.polling.watchMessage({ messageId: "df-open", afterSeq }, { signal })),
      new ResumingWatcher("many", (afterSeq, signal) => c.polling.watchMessages({ threadId: "disk", afterSeq }, { signal })),
    ];
    for (const w of watchers) void w.run();
    await sleep(300);
    const filled = fillUp(mnt);
    const codes: Record<string, number> = {};
    const refusedCreates: string[] = [];
    let content = "start;";
    for (let i = 0; i < 400 && Object.entries(codes).filter(([k]) => k !== "OK").reduce((n, [, v]) => n + v, 0) < 12; i++) {
      const kind = i % 2;
      if (kind === 0) {
        const id = `df-c${i}`;
        const code = await attempt(acks, { op: "create", id, thread: "disk", status: "pending", content: BIG }, () =>
          c.messages.createMessage({ threadId: "disk", messageId: id, content: BIG }),
        );
        count(codes, `create:${code}`);
        if (code !== "OK") refusedCreates.push(id);
      } else {
        const text = `${i};${BIG}`;
        const code = await attempt(acks, { op: "append", id: "df-open", text }, () => c.messages.appendContent({ messageId: "df-open", content: text }));
        count(codes, `append:${code}`);
        if (code === "OK") content += text;
      }
    }
    const refusals = Object.entries(codes).filter(([k]) => !k.endsWith(":OK"));
    const healthFull = await healthOf(c);
    const reads = await readsWork(c, "df-open");
    // Nothing half-written: refused creates do not exist, the content is exactly the acked appends.
    const shown = await c.polling.showMessage({ messageId: "df-open", includeContent: true });
    let ghosts = 0;
    for (const id of refusedCreates) {
      await c.polling.showMessage({ messageId: id }).then(() => ghosts++, () => undefined);
    }
    const integrityFull = integrity(path.join(home, "comms.db"));
    // Space returns: the very same daemon takes writes again.
    fs.rmSync(path.join(mnt, "filler"));
    const recoveryTries = await untilWritable(c, acks, "df-after");
    await c.messages.appendContent({ messageId: "df-open", content: "after;" }).then((r) => acks.push({ op: "append", id: "df-open", text: "after;", len: Number(r.contentLength) }));
    let healthAfter = "";
    for (const end = Date.now() + 10_000; Date.now() < end && healthAfter !== "SERVING"; await sleep(100)) healthAfter = await healthOf(c);
    await c.messages.setStatus({ messageId: "df-open", status: MessageStatus.COMPLETE });
    for (const end = Date.now() + 10_000; Date.now() < end && !watchers[0]!.finished; ) await sleep(50);
    for (const w of watchers) await w.stop();
    const stillAlive = daemon.child.exitCode === null;
    expect(await daemon.stop()).toBe(0);
    const conn = openReadOnly(path.join(home, "comms.db"));
    const lost = lostWrites(conn, acks);
    conn.close();
    figures("disk-full", {
      tmpfs_mb: 8,
      filler_mb: (filled / 1048576).toFixed(1),
      attempts: codes,
      refused: refusals.reduce((n, [, v]) => n + v, 0),
      internal: refusals.filter(([k]) => k.includes("Internal") || k.includes("Unknown")).length,
      health_when_full: healthFull,
      reads_while_full: reads,
      half_written: ghosts + (shown.message?.content === content ? 0 : 1),
      integrity_full: integrityFull,
      recovered_after_tries: recoveryTries,
      health_after: healthAfter,
      watch_reconnects: watchers.map((w) => w.connects - 1).join(","),
      watch_finished: watchers[0]!.finished,
      acked: acks.length,
      lost: lost.length,
      daemon_alive: stillAlive,
    });
    expect(refusals.length).toBeGreaterThan(0);
    for (const [key] of refusals) expect(REFUSED_OK).toContain(key.split(":")[1]);
    expect(healthFull).toBe("NOT_SERVING");
    expect(reads).toEqual({ OK: 5 });
    expect(ghosts).toBe(0);
    expect(shown.message?.content).toBe(content);
    expect(integrityFull).toBe("ok");
    expect(recoveryTries).toBeGreaterThan(0);
    expect(healthAfter).toBe("SERVING");
    expect(watchers.map((w) => w.connects)).toEqual([1, 1]);
    expect(watchers[0]!.finished).toBe(true);
    expect(lost).toEqual([]);
  }, 90_000);

  it("read-only file system: writes refused (not INTERNAL), reads and watches work, nothing lost after repair", async () => {
    requireMounts(true);
    const image = path.join(base, "ext4.img");
    const mnt = path.join(base, "ext4");
    const device = mountExt4(image, mnt, 32);
    mounted.push(mnt);
    const home = path.join(mnt, "h");
    const args = ["--log-file", path.join(base, "ro.log"), "--interval", "0.05", "--heartbeat", "200ms", "--synchronous", "full"];
    let daemon = await startDaemonProcess(home, args);
    daemons.push(daemon);
    let c = connectClients(daemon.socket);
    const acks: Ack[] = [];
    for (let i = 0; i < 50; i++) {
      const id = `ro-${i}`;
      await attempt(acks, { op: "create", id, thread: "disk", status: "processing", content: "x" }, () =>
        c.messages.createMessage({ threadId: "disk", messageId: id, status: MessageStatus.PROCESSING, content: "x" }),
      );
      await attempt(acks, { op: "append", id, text: "yy" }, () => c.messages.appendContent({ messageId: id, content: "yy" }));
    }
    await c.polling.addMessage({ messageId: "ro-0" });
    const watchers = [
      new ResumingWatcher("one", (afterSeq, signal) => c.polling.watchMessage({ messageId: "ro-0", afterSeq }, { signal })),
      new ResumingWatcher("many", (afterSeq, signal) => c.polling.watchMessages({ threadId: "disk", afterSeq }, { signal })),
    ];
    for (const w of watchers) void w.run();
    await sleep(300);
    triggerFsError(device);
    const codes: Record<string, number> = {};
    for (let i = 0; i < 20; i++) {
      const id = `ro-new-${i}`;
      count(codes, `create:${await attempt([], { op: "create", id }, () => c.messages.createMessage({ threadId: "disk", messageId: id }))}`);
      count(codes, `append:${await attempt([], { op: "append", id: "ro-1" }, () => c.messages.appendContent({ messageId: "ro-1", content: "no" }))}`);
      count(codes, `status:${await attempt([], { op: "status", id: "ro-2" }, () => c.messages.setStatus({ messageId: "ro-2", status: MessageStatus.COMPLETE }))}`);
    }
    const health = await healthOf(c);
    const reads = await readsWork(c, "ro-1");
    const shown = await c.polling.showMessage({ messageId: "ro-1", includeContent: true });
    await sleep(500); // heartbeats keep flowing to the open watchers
    const reconnects = watchers.map((w) => w.connects - 1);
    const beats = watchers.map((w) => w.marks.length);
    for (const w of watchers) await w.stop();
    const stopCode = await Promise.race([daemon.stop(), sleep(20_000).then(() => "hung")]);
    if (stopCode === "hung") await daemon.kill();
    // The operator repairs the file system; the store comes back whole.
    unmount(mnt);
    const fsckCode = fsck(image);
    mountExt4(image, mnt, 32);
    daemon = await startDaemonProcess(home, args);
    daemons.push(daemon);
    c = connectClients(daemon.socket);
    const writable = await attempt(acks, { op: "create", id: "ro-after", thread: "disk", status: "pending", content: "" }, () =>
      c.messages.createMessage({ threadId: "disk", messageId: "ro-after" }),
    );
    await daemon.stop();
    const conn = openReadOnly(path.join(home, "comms.db"));
    const lost = lostWrites(conn, acks);
    conn.close();
    const check = integrity(path.join(home, "comms.db"));
    const refused = Object.entries(codes).filter(([k]) => !k.endsWith(":OK"));
    figures("read-only", {
      fs: "ext4 errors=remount-ro (kernel error trigger)",
      attempts: codes,
      internal: refused.filter(([k]) => /Internal|Unknown/.test(k)).reduce((n, [, v]) => n + v, 0),
      health: health,
      reads: reads,
      watch_reconnects: reconnects.join(","),
      heartbeats_seen: beats.join(","),
      content_unchanged: shown.message?.content === "xyy",
      stop: stopCode,
      fsck: fsckCode,
      acked: acks.length,
      lost: lost.length,
      integrity: check,
      writable_after_repair: writable,
    });
    expect(refused.map(([k]) => k.split(":")[1]).filter((code) => !REFUSED_OK.includes(code!))).toEqual([]);
    expect(Object.keys(codes).every((k) => !k.endsWith(":OK"))).toBe(true);
    expect(health).toBe("NOT_SERVING");
    expect(reads).toEqual({ OK: 5 });
    expect(reconnects).toEqual([0, 0]);
    expect(shown.message?.content).toBe("xyy");
    expect(stopCode).toBe(0);
    expect(lost).toEqual([]);
    expect(check).toBe("ok");
    expect(writable).toBe("OK");
  }, 90_000);
});
