import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MessageStatus } from "../gen/claude_comms/v1/message_pb.js";
import { connectClients, type TestClients } from "./helpers/clients.js";
import { until } from "./helpers/collect.js";
import { CLI_MAIN, startDaemonProcess, type DaemonProcess } from "./helpers/daemon-process.js";
import { makeTempHome } from "./helpers/temp-home.js";

describe("claude-comms poll watch --thread", () => {
  const temp = makeTempHome();
  let daemon: DaemonProcess;
  let c: TestClients;

  beforeAll(async () => {
    daemon = await startDaemonProcess(temp.home, ["--interval", "0.1"]);
    c = connectClients(daemon.socket);
  });

  afterAll(async () => {
    await daemon?.stop();
    temp.cleanup();
  });

  it("prints every event of the thread's messages as JSON lines, and nothing of other threads", async () => {
    const child = spawn(process.execPath, [CLI_MAIN, "--home", temp.home, "--json", "poll", "watch", "--thread", "tw", "--status", "complete"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    await until(() => out.includes("EVENT_KIND_HEARTBEAT"));
    for (const [thread, id] of [["tw", "w1"], ["other", "o1"], ["tw", "w2"]] as const) {
      await c.messages.createMessage({ threadId: thread, messageId: id, status: MessageStatus.PROCESSING });
      await c.messages.setStatus({ messageId: id, status: MessageStatus.COMPLETE });
    }
    await until(() => out.includes('"w2"'));
    child.kill("SIGTERM");
    await exited;
    const events = out.trim().split("\n").map((line) => JSON.parse(line).event);
    const logged = events.filter((e) => e.kind !== "EVENT_KIND_HEARTBEAT");
    expect(logged.map((e) => [e.messageId, e.toStatus])).toEqual([
      ["w1", "MESSAGE_STATUS_COMPLETE"],
      ["w2", "MESSAGE_STATUS_COMPLETE"],
    ]);
  });

  it("opens with a snapshot of each message of the thread, then follows it live", async () => {
    await c.messages.createMessage({ threadId: "ts", messageId: "s1", status: MessageStatus.PROCESSING, content: "half" });
    const child = spawn(process.execPath, [CLI_MAIN, "--home", temp.home, "--json", "poll", "watch", "--thread", "ts"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    await until(() => out.includes("EVENT_KIND_SNAPSHOT"));
    await c.messages.setStatus({ messageId: "s1", status: MessageStatus.COMPLETE });
    await until(() => out.includes("MESSAGE_STATUS_COMPLETE"));
    child.kill("SIGTERM");
    await exited;
    const events = out.trim().split("\n").map((line) => JSON.parse(line).event).filter((e) => e.kind !== "EVENT_KIND_HEARTBEAT");
    expect(events[0]).toMatchObject({ kind: "EVENT_KIND_SNAPSHOT", messageId: "s1", message: { status: "MESSAGE_STATUS_PROCESSING", contentLength: "4" } });
    expect(events.at(-1)).toMatchObject({ kind: "EVENT_KIND_STATUS_CHANGED", messageId: "s1", toStatus: "MESSAGE_STATUS_COMPLETE" });
  });

  it("poll watch ID shows a message nobody registered grow", async () => {
    await c.messages.createMessage({ threadId: "tu", messageId: "u1", status: MessageStatus.PROCESSING });
    const child = spawn(process.execPath, [CLI_MAIN, "--home", temp.home, "poll", "watch", "u1"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    await until(() => out.includes("snapshot"));
    await c.messages.appendContent({ messageId: "u1", content: "growing" });
    await until(() => /progress\s+processing\s+7 bytes/.test(out));
    await c.messages.setStatus({ messageId: "u1", status: MessageStatus.COMPLETE });
    expect(await exited).toBe(0);
  });

  it("refuses a watch with neither an id nor a filter (exit 2)", async () => {
    const child = spawn(process.execPath, [CLI_MAIN, "--home", temp.home, "poll", "watch"], { stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    expect(code).toBe(2);
    expect(err).toMatch(/needs a message id, or --thread/);
  });
});
