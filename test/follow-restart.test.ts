import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventKind, MessageStatus, type Event } from "../gen/claude_comms/v1/message_pb.js";
import { pollMessageUntilComplete } from "../src/index.js";
import { connectClients, type TestClients } from "./helpers/clients.js";
import { collect, until } from "./helpers/collect.js";
import { CLI_MAIN, startDaemonProcess, type DaemonProcess } from "./helpers/daemon-process.js";
import { runProgram } from "./helpers/run.js";
import { makeTempHome } from "./helpers/temp-home.js";

/** A CLI run in the background: its stdout so far, and its end. */
function startCli(home: string, args: string[]) {
  const child = spawn(process.execPath, [CLI_MAIN, "--home", home, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill("SIGKILL"), 40_000);
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once("close", (code) => (clearTimeout(timer), resolve({ code, stdout, stderr }))),
  );
  return { done, stdout: () => stdout };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// The seqs of the message's logged events (no snapshot, no heartbeat), as a replay from 0 gives them.
async function loggedSeqs(c: TestClients, id: string): Promise<bigint[]> {
  const { events } = await collect(c.polling.watchMessage({ messageId: id, afterSeq: 0n }));
  return events.filter((e) => e.kind !== EventKind.HEARTBEAT && e.kind !== EventKind.SNAPSHOT).map((e) => e.seq);
}

// What a follower saw after its snapshot: strictly increasing, and exactly the log's events past the snapshot.
function expectExactlyOnce(seen: { kind: EventKind; seq: bigint }[], logged: bigint[]): void {
  const snapshots = seen.filter((e) => e.kind === EventKind.SNAPSHOT);
  expect(snapshots.length, "one snapshot: a resume replays after the last seq instead").toBe(1);
  const snapshot = snapshots[0];
  const after = seen.filter((e) => e.kind !== EventKind.SNAPSHOT && e.kind !== EventKind.HEARTBEAT).map((e) => e.seq);
  for (let i = 1; i < after.length; i++) expect(after[i]!, "no event twice, in order").toBeGreaterThan(after[i - 1]!);
  expect(after).toEqual(logged.filter((seq) => seq > snapshot!.seq));
}

describe("the client's follow/resume loop across a daemon restart", () => {
  const temp = makeTempHome("cc-fr-");
  let daemon: DaemonProcess;
  let c: TestClients;
  const args = ["--interval", "0.05", "--heartbeat", "200ms"];

  beforeAll(async () => {
    daemon = await startDaemonProcess(temp.home, args);
    c = connectClients(daemon.socket);
  });

  afterAll(async () => {
    await daemon?.stop();
    temp.cleanup();
  });

  it("pollMessageUntilComplete, poll watch and poll wait miss nothing and see nothing twice", async () => {
    await c.messages.createMessage({ threadId: "fr", messageId: "fr-1", status: MessageStatus.PROCESSING });
    await c.polling.addMessage({ messageId: "fr-1" });
    const libraryEvents: Event[] = [];
    const polled = pollMessageUntilComplete({ home: temp.home, messageId: "fr-1", timeout: 60, onProgress: (e) => libraryEvents.push(e), idleConnectionTimeoutMs: 100 });
    const watch = startCli(temp.home, ["--json", "poll", "watch", "fr-1"]);
    const wait = startCli(temp.home, ["poll", "wait", "fr-1", "--timeout", "60"]);
    await until(() => watch.stdout().includes("SNAPSHOT") && libraryEvents.length > 0);
    await sleep(300); // poll wait has its snapshot too
    await c.messages.appendContent({ messageId: "fr-1", content: "before " });
    await until(() => watch.stdout().includes("EVENT_KIND_PROGRESS"));

    // Stopped, and started again a second later on the same home (same store).
    expect(await daemon.stop()).toBe(0);
    await sleep(1000);
    daemon = await startDaemonProcess(temp.home, args);
    c = connectClients(daemon.socket);
    await c.messages.appendContent({ messageId: "fr-1", content: "after" });
    await sleep(300);
    await c.messages.setStatus({ messageId: "fr-1", status: MessageStatus.COMPLETE });

    const result = await polled;
    expect(result).toMatchObject({ finished: true, status: MessageStatus.COMPLETE, content: "before after" });
    const logged = await loggedSeqs(c, "fr-1");
    expectExactlyOnce(libraryEvents, logged);

    const watched = await watch.done;
    expect(watched.code, watched.stderr).toBe(0);
    const watchEvents = watched.stdout.trim().split("\n").map((line) => JSON.parse(line).event as { kind: string; seq: string });
    expectExactlyOnce(watchEvents.map((e) => ({ kind: EventKind[e.kind.replace("EVENT_KIND_", "") as keyof typeof EventKind], seq: BigInt(e.seq) })), logged);
    expect(watched.stderr).toMatch(/lost the daemon .*; resuming when it is back/);

    const waited = await wait.done;
    expect(waited.code, waited.stderr).toBe(0);
    expect(waited.stdout.trim()).toBe("complete");
  });

  it("does not wait for a daemon that was never reached: poll wait exits 69 at once", async () => {
    const empty = makeTempHome("cc-fr0-");
    try {
      const started = Date.now();
      const result = await runProgram(process.execPath, [CLI_MAIN, "--home", empty.home, "poll", "wait", "nope", "--timeout", "30"]);
      expect(result.code).toBe(69);
      expect(result.stderr).toMatch(/daemon not running at unix:.*daemon\.sock \(start it with: claude-comms poll start\)/);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      empty.cleanup();
    }
  });
});
