import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MessageStatus } from "../../gen/claude_comms/v1/message_pb.js";
import { connectClients, type TestClients } from "../helpers/clients.js";
import { until } from "../helpers/collect.js";
import { startDaemonProcess, type DaemonProcess } from "../helpers/daemon-process.js";
import { makeTempHome } from "../helpers/temp-home.js";

/*
 * SQLite's store-wide write lock held by another process past the busy timeout. SQLite only
 * (the PostgreSQL pass does not collect test/sqlite/): PostgreSQL has row locks and no
 * store-wide writer lock.
 */

const LOCK_HOLDER = fileURLToPath(new URL("../fixtures/lock-holder.mjs", import.meta.url));

describe("the SQLite write lock held by another process", () => {
  const temp = makeTempHome();
  let daemon: DaemonProcess;
  let c: TestClients;

  beforeAll(async () => {
    daemon = await startDaemonProcess(temp.home, ["--busy-timeout", "300ms"]);
    c = connectClients(daemon.socket);
    await c.messages.createMessage({ threadId: "t", messageId: "open", status: MessageStatus.PROCESSING });
  });

  afterAll(async () => {
    await daemon?.stop();
    temp.cleanup();
  });

  it("answers UNAVAILABLE while another process holds the write lock, and reads keep working", async () => {
    const holder = spawn(process.execPath, [LOCK_HOLDER, path.join(temp.home, "comms.db"), "1500"], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    holder.stdout.on("data", (d) => (out += d));
    await until(() => out.includes("locked"));
    await expect(c.messages.appendContent({ messageId: "open", content: "z" })).rejects.toMatchObject({
      code: Code.Unavailable,
      rawMessage: expect.stringMatching(/locked by another writer .*retry/),
    });
    const shown = await c.polling.showMessage({ messageId: "open" });
    expect(shown.message?.contentLength).toBe(0n);
    await until(() => out.includes("released"));
    await c.messages.appendContent({ messageId: "open", content: "z" });
    expect((await c.polling.showMessage({ messageId: "open" })).message?.contentLength).toBe(1n);
    await c.messages.setStatus({ messageId: "open", status: MessageStatus.PROCESSING }); // same status: no-op
    await expect(c.messages.createMessage({ threadId: "t", messageId: "open" })).rejects.toMatchObject({ code: Code.AlreadyExists });
    expect(daemon.child.exitCode).toBeNull();
  });
});
