import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventKind, MessageStatus } from "../../gen/claude_comms/v1/message_pb.js";
import { connectClients, type TestClients } from "../helpers/clients.js";
import { collect, until } from "../helpers/collect.js";
import { startDaemonProcess, type DaemonProcess } from "../helpers/daemon-process.js";
import { makeTempHome } from "../helpers/temp-home.js";

/*
 * Other processes writing the daemon's SQLite file directly (better-sqlite3). SQLite only: the
 * PostgreSQL pass does not collect test/sqlite/ (vitest.config.ts); the same on PostgreSQL is
 * test/postgres/external-writer.test.ts.
 */

const WRITER = fileURLToPath(new URL("../fixtures/external-writer.mjs", import.meta.url));

describe("external writers on SQLite", () => {
  const temp = makeTempHome();
  let daemon: DaemonProcess;
  let c: TestClients;

  beforeAll(async () => {
    daemon = await startDaemonProcess(temp.home, ["--interval", "0.1", "--heartbeat", "300ms", "--retention", "2s"]);
    c = connectClients(daemon.socket);
  });

  afterAll(async () => {
    await daemon?.stop();
    temp.cleanup();
  });

  it("follows a message written by another process naming only the original columns", async () => {
    await c.messages.createThread({ threadId: "t-ext" });
    const writer = spawn(process.execPath, [WRITER, path.join(temp.home, "comms.db"), "ext-1", "t-ext"], {
      stdio: ["pipe", "pipe", "inherit"],
      env: { ...process.env, WRITER_PAUSE_MS: "250" },
    });
    let out = "";
    writer.stdout.on("data", (d) => (out += d));
    await until(() => out.includes("inserted"));
    await c.polling.addMessage({ messageId: "ext-1", threadId: "t-ext" });
    // The writer goes on once the watch has its snapshot: every transition is then live.
    const { events, error } = await collect(c.polling.watchMessage({ messageId: "ext-1" }), (e) => {
      if (e.kind === EventKind.SNAPSHOT) writer.stdin.end("go\n");
    });
    expect(error).toBeUndefined();
    const changes = events.filter((e) => e.kind === EventKind.STATUS_CHANGED);
    expect(changes.map((e) => e.toStatus)).toEqual([MessageStatus.PROCESSING, MessageStatus.COMPLETE]);
    expect(events.some((e) => e.kind === EventKind.PROGRESS)).toBe(true);
    const logged = events.filter((e) => e.kind !== EventKind.HEARTBEAT && e.kind !== EventKind.SNAPSHOT);
    for (let i = 1; i < logged.length; i++) expect(logged[i]!.seq).toBeGreaterThan(logged[i - 1]!.seq);
    const shown = await c.polling.showMessage({ messageId: "ext-1", includeContent: true });
    expect(shown.message?.content).toBe("The answer is forty-two.");
    expect(shown.message?.metadata).toEqual({ source: "external" });
  });

  it("records both transitions of a message that moved twice within 1 ms", async () => {
    const db = new Database(path.join(temp.home, "comms.db"));
    db.pragma("busy_timeout = 5000");
    db.prepare("INSERT INTO messages (message_id, thread_id, status) VALUES ('fast-1', 't-fast', 'pending')").run();
    const start = performance.now();
    db.prepare("UPDATE messages SET status = 'processing' WHERE message_id = 'fast-1'").run();
    db.prepare("UPDATE messages SET status = 'complete' WHERE message_id = 'fast-1'").run();
    const elapsed = performance.now() - start;
    db.close();
    expect(elapsed).toBeLessThan(50); // both updates far inside one poll interval
    const { history } = await c.polling.showMessage({ messageId: "fast-1" });
    expect(history.map((e) => [e.kind, e.fromStatus, e.toStatus])).toEqual([
      [EventKind.CREATED, MessageStatus.UNSPECIFIED, MessageStatus.PENDING],
      [EventKind.STATUS_CHANGED, MessageStatus.PENDING, MessageStatus.PROCESSING],
      [EventKind.STATUS_CHANGED, MessageStatus.PROCESSING, MessageStatus.COMPLETE],
    ]);
  });
});
