import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventKind, MessageStatus, askModule, pollMessageUntilComplete, startDaemon, type EmbeddedDaemon, type Event } from "../src/index.js";
import { FAKE_AGENT } from "./fixtures/agent-kit.js";
import { makeTempHome } from "./helpers/temp-home.js";

const run = promisify(execFile);
const EXAMPLES = fileURLToPath(new URL("../dist/examples/", import.meta.url));

describe("library", () => {
  const temp = makeTempHome();
  let daemon: EmbeddedDaemon;
  const changes: Event[] = [];
  const completions: Event[] = [];
  const completedContent = new Map<string, string>();

  beforeAll(async () => {
    daemon = await startDaemon({
      home: temp.home,
      interval: 0.1,
      logFile: path.join(temp.home, "log"),
      args: ["--agent-command", `${process.execPath} ${FAKE_AGENT}`],
      onStatusChange: (e) => changes.push(e),
      onComplete: (e, message) => {
        completions.push(e);
        completedContent.set(message.messageId, message.content);
      },
    });
  });

  afterAll(async () => {
    await daemon?.stop();
    temp.cleanup();
  });

  it("startDaemon calls onStatusChange and onComplete in seq order", async () => {
    await daemon.messages.createMessage({ threadId: "t", messageId: "lib-1" });
    await daemon.messages.setStatus({ messageId: "lib-1", status: MessageStatus.PROCESSING });
    await daemon.messages.appendContent({ messageId: "lib-1", content: "the answer" });
    await daemon.messages.setStatus({ messageId: "lib-1", status: MessageStatus.COMPLETE });
    await expect.poll(() => completions.some((e) => e.messageId === "lib-1")).toBe(true);
    await expect.poll(() => completedContent.get("lib-1")).toBe("the answer");
    const mine = changes.filter((e) => e.messageId === "lib-1");
    expect(mine.map((e) => e.toStatus)).toEqual([MessageStatus.PENDING, MessageStatus.PROCESSING, MessageStatus.COMPLETE]);
    expect(mine[2]!.seq).toBeGreaterThan(mine[1]!.seq);
  });

  it("pollMessageUntilComplete reports progress and resolves when the message finishes", async () => {
    await daemon.messages.createMessage({ threadId: "t", messageId: "lib-2", status: MessageStatus.PROCESSING });
    await daemon.polling.addMessage({ messageId: "lib-2" });
    const seen: Event[] = [];
    const polling = pollMessageUntilComplete({ home: temp.home, threadId: "t", messageId: "lib-2", timeout: 20, onProgress: (e) => seen.push(e) });
    await new Promise((r) => setTimeout(r, 150));
    await daemon.messages.appendContent({ messageId: "lib-2", content: "abc" });
    await new Promise((r) => setTimeout(r, 250));
    await daemon.messages.setStatus({ messageId: "lib-2", status: MessageStatus.FAILED, error: "nope" });
    const result = await polling;
    expect(result).toMatchObject({ finished: true, status: MessageStatus.FAILED, content: "abc" });
    expect(result.message.error).toBe("nope");
    expect(seen[0]!.kind).toBe(EventKind.SNAPSHOT);
    expect(seen.some((e) => e.kind === EventKind.PROGRESS && e.contentLength === 3n)).toBe(true);
  });

  it("pollMessageUntilComplete returns unfinished at its timeout", async () => {
    await daemon.messages.createMessage({ threadId: "t", messageId: "lib-3" });
    const result = await pollMessageUntilComplete({ home: temp.home, messageId: "lib-3", timeout: 0.3 });
    expect(result).toMatchObject({ finished: false, status: MessageStatus.PENDING });
  });

  it("askModule with waitForCompletion returns the answer", async () => {
    await daemon.modules.registerModule({ module: { name: "echo", directory: temp.home } });
    const result = await askModule({ home: temp.home, from: "me", to: "echo", question: "[echo] 42?", waitForCompletion: true });
    expect(result.response).toMatchObject({ finished: true, status: MessageStatus.COMPLETE, content: "[echo] 42?" });
  });

  it("the README's library example is examples/readme-library.ts, and runs as written", async () => {
    const readme = fs.readFileSync(fileURLToPath(new URL("../README.md", import.meta.url)), "utf8");
    const source = fs.readFileSync(fileURLToPath(new URL("../examples/readme-library.ts", import.meta.url)), "utf8");
    expect(readme).toContain("```ts\n" + source + "```");
    const ran = await run(process.execPath, [path.join(EXAMPLES, "readme-library.js")], { timeout: 20_000 });
    expect(ran.stdout).toContain("onComplete: m1 COMPLETE");
    expect(ran.stdout.trim().split("\n").at(-1)).toBe("COMPLETE: forty-two");
  });

  it("durationFromSeconds makes the Duration a request takes", async () => {
    const { durationFromSeconds, durationMs } = await import("../src/index.js");
    expect(durationMs(durationFromSeconds(1.5))).toBe(1500);
    expect(() => durationFromSeconds(-1)).toThrow(/seconds ≥ 0/);
  });

  it("the examples run against a real daemon", async () => {
    const embedded = await run(process.execPath, [path.join(EXAMPLES, "embedded-daemon.js")], { timeout: 20_000 });
    expect(embedded.stdout).toContain("finished: greeting (COMPLETE)");
    const env = { ...process.env, CLAUDE_COMMS_HOME: temp.home };
    const asked = await run(process.execPath, [path.join(EXAMPLES, "ask-module.js"), "me", "echo", "[echo] hi"], { env, timeout: 20_000 });
    expect(asked.stdout).toMatch(/COMPLETE: \[echo\] hi/);
    await daemon.messages.createMessage({ threadId: "t", messageId: "lib-ex", status: MessageStatus.COMPLETE });
    const polled = await run(process.execPath, [path.join(EXAMPLES, "poll-until-complete.js"), "lib-ex"], { env, timeout: 20_000 });
    expect(polled.stdout).toContain("finished: COMPLETE");
    expect(fs.existsSync(path.join(EXAMPLES, "embedded-daemon.js"))).toBe(true);
  });
});
