import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MessageStatus } from "../gen/claude_comms/v1/message_pb.js";
import { connectClients, type TestClients } from "./helpers/clients.js";
import { until } from "./helpers/collect.js";
import { killLeftoverDaemons, startDaemonProcess, type DaemonProcess } from "./helpers/daemon-process.js";
import { makeTempHome } from "./helpers/temp-home.js";
import { watchClients, type WatchClient, type WatchResult } from "./helpers/watch-clients.js";

/*
 * The same watch scenarios through every protocol and client stack: gRPC (Connect's gRPC
 * transport and @grpc/grpc-js, served by the daemon's gRPC fast path), Connect and gRPC-Web
 * (served by Connect-Node's generic path). Every stack must get the same answer.
 */

const TOKEN = "watch-protocols-token-0123456789abcdef";

/** Runs `scenario` on every stack and requires one answer from all of them; returns it. */
async function sameEverywhere(clients: WatchClient[], scenario: (client: WatchClient) => Promise<WatchResult>): Promise<WatchResult> {
  const results = await Promise.all(clients.map(scenario));
  for (let i = 1; i < results.length; i++) expect({ stack: clients[i]!.name, ...results[i] }).toEqual({ stack: clients[i]!.name, ...results[0] });
  return results[0]!;
}

async function startWithToken(home: string, args: string[]): Promise<DaemonProcess> {
  const tokenFile = path.join(home, "token");
  fs.writeFileSync(tokenFile, TOKEN, { mode: 0o600 });
  return startDaemonProcess(home, ["--listen", "127.0.0.1:0", "--token-file", tokenFile, ...args]);
}

afterAll(killLeftoverDaemons);

describe("watch streams over gRPC, Connect and gRPC-Web", () => {
  const temp = makeTempHome();
  let daemon: DaemonProcess;
  let local: TestClients;
  let clients: WatchClient[];

  beforeAll(async () => {
    daemon = await startWithToken(temp.home, ["--interval", "0.05", "--heartbeat", "200ms", "--watch-queue", "50"]);
    local = connectClients(daemon.socket);
    clients = watchClients(daemon.listen[1]!, TOKEN);
    await local.messages.createMessage({ threadId: "t", messageId: "done" });
    await local.messages.setStatus({ messageId: "done", status: MessageStatus.PROCESSING });
    await local.messages.setStatus({ messageId: "done", status: MessageStatus.COMPLETE });
  });

  afterAll(async () => {
    await daemon?.stop();
    temp.cleanup();
  });

  it("sends a SNAPSHOT of a finished message and ends OK", async () => {
    const result = await sameEverywhere(clients, (c) => c.watch("watchMessage", { messageId: "done" }));
    expect(result).toMatchObject({ code: "OK", events: [expect.stringMatching(/^SNAPSHOT@\d+$/)] });
  });

  it("replays every event after after_seq up to the terminal one and ends OK", async () => {
    const result = await sameEverywhere(clients, (c) => c.watch("watchMessage", { messageId: "done", afterSeq: 0n }));
    expect(result.code).toBe("OK");
    expect(result.events.map((e) => e.split("@")[0])).toEqual(["CREATED", "STATUS_CHANGED", "STATUS_CHANGED"]);
  });

  it("answers NOT_FOUND and INVALID_ARGUMENT alike", async () => {
    const missing = await sameEverywhere(clients, (c) => c.watch("watchMessage", { messageId: "nope" }));
    expect(missing).toMatchObject({ code: "NotFound", events: [] });
    const empty = await sameEverywhere(clients, (c) => c.watch("watchMessage", { messageId: "" }));
    expect(empty).toMatchObject({ code: "InvalidArgument", message: "message_id is required" });
  });

  it("refuses a wrong token UNAUTHENTICATED", async () => {
    const wrong = watchClients(daemon.listen[1]!, "not-the-token-0123456789abcdefghij");
    const result = await sameEverywhere(wrong, (c) => c.watch("watchMessages", {}));
    expect(result.code).toBe("Unauthenticated");
    expect(result.message).toMatch(/invalid bearer token/);
  });

  it("cuts off a watcher that stops reading with RESOURCE_EXHAUSTED and the seq to resume after", { timeout: 240_000 }, async () => {
    let writesDone!: () => void;
    const stall = new Promise<void>((r) => (writesDone = r));
    const watches = clients.map((c) => c.watch("watchMessages", { threadId: "t-slow" }, { stall }));
    await until(async () => (await local.polling.getDaemonStatus({})).watchers >= clients.length);
    const pad = "p".repeat(240);
    for (let i = 0; i < 3000; i += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, k) => local.messages.createMessage({ threadId: "t-slow", messageId: `${pad}-${i + k}` })));
    }
    writesDone();
    const results = await Promise.all(watches);
    for (const [i, result] of results.entries()) {
      const name = clients[i]!.name;
      expect({ name, code: result.code }).toEqual({ name, code: "ResourceExhausted" });
      expect(result.message).toMatch(/fell behind .*resume with after_seq=\d+/);
      // The resume point is the last event it received: nothing before it is lost.
      expect(result.lastSeq).toBe(result.events.at(-1)!.split("@")[1]);
      expect(result.events.length).toBeLessThan(3000);
    }
  });

  it("ends every watch UNAVAILABLE with a resume seq when the daemon stops", async () => {
    await local.messages.createMessage({ threadId: "t", messageId: "live" });
    const opened = clients.map((c) => c.watch("watchMessage", { messageId: "live" }));
    await until(async () => (await local.polling.getDaemonStatus({})).watchers >= clients.length);
    await daemon.stop();
    const results = await Promise.all(opened);
    for (const [i, result] of results.entries()) {
      const name = clients[i]!.name;
      expect({ name, code: result.code }).toEqual({ name, code: "Unavailable" });
      expect(result.message).toMatch(/daemon is stopping; resume with after_seq=\d+/);
      expect(result.lastSeq).toMatch(/^\d+$/);
    }
  });
});

describe("watch streams after compaction", () => {
  it("answer OUT_OF_RANGE with the oldest seq on every protocol", async () => {
    const temp = makeTempHome();
    const daemon = await startWithToken(temp.home, ["--interval", "0.05", "--history-retention", "300ms"]);
    const local = connectClients(daemon.socket);
    try {
      await local.messages.createMessage({ threadId: "t", messageId: "old-1" });
      await local.messages.setStatus({ messageId: "old-1", status: MessageStatus.PROCESSING });
      await until(async () => (await local.polling.showMessage({ messageId: "old-1" })).history.length === 0, 10_000);
      const clients = watchClients(daemon.listen[1]!, TOKEN);
      const result = await sameEverywhere(clients, (c) => c.watch("watchMessage", { messageId: "old-1", afterSeq: 0n }));
      expect(result).toMatchObject({ code: "OutOfRange", oldestSeq: "3", events: [] });
    } finally {
      await daemon.stop();
      temp.cleanup();
    }
  });
});
