import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventKind, MessageStatus } from "../../gen/claude_comms/v1/message_pb.js";
import { connectClients, type TestClients } from "../helpers/clients.js";
import { collect, until } from "../helpers/collect.js";
import { startDaemonProcess, type DaemonProcess } from "../helpers/daemon-process.js";
import { makeTempHome } from "../helpers/temp-home.js";
import { createTestDatabase } from "../helpers/test-store.js";

const WRITER = fileURLToPath(new URL("../fixtures/pg-external-writer.mjs", import.meta.url));

describe("external writers on PostgreSQL", () => {
  const temp = makeTempHome();
  let url: string;
  let daemon: DaemonProcess;
  let c: TestClients;

  beforeAll(async () => {
    url = await createTestDatabase();
    daemon = await startDaemonProcess(temp.home, ["--store", url, "--interval", "0.1"]);
    c = connectClients(daemon.socket);
  });

  afterAll(async () => {
    await daemon?.stop();
    temp.cleanup();
  });

  it("follows a message another process writes with the original columns", async () => {
    const writer = spawn(process.execPath, [WRITER, url, "pg-ext-1", "t-ext"], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    writer.stdout.on("data", (d) => (out += d));
    await until(() => out.includes("inserted"));
    await c.polling.addMessage({ messageId: "pg-ext-1" });
    const { events, error } = await collect(c.polling.watchMessage({ messageId: "pg-ext-1" }));
    expect(error).toBeUndefined();
    const changes = events.filter((e) => e.kind === EventKind.STATUS_CHANGED).map((e) => e.toStatus);
    expect(changes).toEqual([MessageStatus.PROCESSING, MessageStatus.COMPLETE]);
    expect(events.some((e) => e.kind === EventKind.PROGRESS)).toBe(true);
    const shown = await c.polling.showMessage({ messageId: "pg-ext-1", includeContent: true });
    expect(shown.message?.content).toBe("The answer is forty-two.");
    expect(shown.message?.metadata).toEqual({ source: "external" });
  });

  it("records both transitions 1 ms apart, and refuses leaving a terminal status", async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query("INSERT INTO messages (message_id, thread_id, status) VALUES ('pg-fast', 't', 'pending')");
    await client.query("UPDATE messages SET status = 'processing' WHERE message_id = 'pg-fast'");
    await client.query("UPDATE messages SET status = 'complete' WHERE message_id = 'pg-fast'");
    await expect(client.query("UPDATE messages SET status = 'pending' WHERE message_id = 'pg-fast'")).rejects.toThrow(
      /terminal status, which is final/,
    );
    await expect(client.query("INSERT INTO messages (message_id, thread_id, status) VALUES ('pg-bad', 't', 'DONE')")).rejects.toThrow(
      /invalid status/,
    );
    await client.end();
    const { history } = await c.polling.showMessage({ messageId: "pg-fast" });
    expect(history.map((e) => [e.kind, e.toStatus])).toEqual([
      [EventKind.CREATED, MessageStatus.PENDING],
      [EventKind.STATUS_CHANGED, MessageStatus.PROCESSING],
      [EventKind.STATUS_CHANGED, MessageStatus.COMPLETE],
    ]);
  });
});
