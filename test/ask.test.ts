import fs from "node:fs";
import path from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventKind, MessageStatus } from "../gen/claude_comms/v1/message_pb.js";
import { FAKE_AGENT, isAlive, readPid } from "./fixtures/agent-kit.js";
import { connectClients, type TestClients } from "./helpers/clients.js";
import { collect, until } from "./helpers/collect.js";
import { startDaemonProcess, type DaemonProcess } from "./helpers/daemon-process.js";
import { moduleClient } from "./helpers/module-clients.js";
import { makeTempHome } from "./helpers/temp-home.js";

const agentArgs = (extra: string[] = []) => ["--agent-command", `${process.execPath} ${FAKE_AGENT}`, "--interval", "0.1", ...extra];

describe("AskModule with a stand-in agent", () => {
  const temp = makeTempHome();
  const pidFile = () => path.join(temp.home, "agent.pid");
  let daemon: DaemonProcess;
  let c: TestClients;
  let modules: ReturnType<typeof moduleClient>;

  beforeAll(async () => {
    daemon = await startDaemonProcess(temp.home, agentArgs(["--max-agents", "2"]), {
      FAKE_AGENT_PID_FILE: path.join(temp.home, "agent.pid"),
      FAKE_AGENT_DELAY_MS: "40",
    });
    c = connectClients(daemon.socket);
    modules = moduleClient(c);
    const dir = path.join(temp.home, "marker");
    fs.mkdirSync(dir);
    await modules.registerModule({ module: { name: "marker", directory: dir, systemPrompt: "You are marker." } });
    await modules.registerModule({ module: { name: "ghost", directory: dir, agentCommand: ["/nonexistent/claude"] } });
  });

  afterAll(async () => {
    await daemon?.stop();
    temp.cleanup();
  });

  const ask = (question: string, extra: { timeout?: { seconds: bigint } } = {}) =>
    modules.askModule({ fromModule: "arangodb", toModule: "marker", question, ...extra });

  it("streams the answer into the response: progress before completion, final content equals the agent's text", async () => {
    const ids = await ask("What is the schema?");
    const { events, error } = await collect(c.polling.watchMessage({ messageId: ids.responseMessageId }));
    expect(error).toBeUndefined();
    const terminal = events.findIndex((e) => e.toStatus === MessageStatus.COMPLETE && e.kind === EventKind.STATUS_CHANGED);
    expect(terminal).toBe(events.length - 1);
    expect(events.slice(0, terminal).some((e) => e.kind === EventKind.PROGRESS)).toBe(true);
    const { messages } = await c.messages.getThread({ threadId: ids.threadId, includeContent: true });
    expect(messages.map((m) => [m.module, m.type, m.status])).toEqual([
      ["arangodb", "question", MessageStatus.COMPLETE],
      ["marker", "response", MessageStatus.COMPLETE],
    ]);
    expect(messages[0]!.content).toBe("What is the schema?");
    expect(messages[1]!.content).toBe(
      'This is the echo agent answering "What is the schema?". It streams this paragraph in several chunks, the way Claude Code streams an answer, so the daemon can be exercised without a real agent.',
    );
    expect(messages[1]!.metadata?.agent).toMatchObject({ session_id: expect.any(String), num_turns: expect.any(Number) });
  });

  it("passes a question with quotes, $(…), backticks and newlines verbatim, and the module's system prompt", async () => {
    const question = `[echo] "double" 'single' $(rm -rf /tmp/x) \`id\` $HOME\nsecond line; echo done`;
    const ids = await ask(question);
    const { message } = await c.polling.waitMessage({ messageId: ids.responseMessageId, timeout: { seconds: 20n } });
    expect(message?.status).toBe(MessageStatus.COMPLETE);
    const shown = await c.polling.showMessage({ messageId: ids.responseMessageId, includeContent: true });
    expect(shown.message?.content).toBe(question);
    const sys = await ask("[sysprompt]");
    await c.polling.waitMessage({ messageId: sys.responseMessageId, timeout: { seconds: 20n } });
    expect((await c.polling.showMessage({ messageId: sys.responseMessageId, includeContent: true })).message?.content).toBe("You are marker.");
  });

  it("fails with the agent's error: an error result, a non-zero exit, a missing command", async () => {
    const failed = await ask("[fail]");
    const exited = await ask("[exit3]");
    const missing = await modules.askModule({ fromModule: "a", toModule: "ghost", question: "hi" });
    const results = await Promise.all(
      [failed, exited, missing].map((ids) => c.polling.waitMessage({ messageId: ids.responseMessageId, timeout: { seconds: 20n } })),
    );
    expect(results.map((r) => r.message?.status)).toEqual([MessageStatus.FAILED, MessageStatus.FAILED, MessageStatus.FAILED]);
    expect(results[0]!.message?.error).toMatch(/simulated failure/);
    expect(results[1]!.message?.error).toMatch(/exited with code 3/);
    expect(results[2]!.message?.error).toMatch(/agent command "\/nonexistent\/claude" not found.*--agent-command/);
  });

  it("times out at the deadline and leaves no agent process behind", async () => {
    fs.rmSync(pidFile(), { force: true });
    const ids = await ask("[hang]", { timeout: { seconds: 1n } });
    const pid = await readPid(pidFile());
    const { message } = await c.polling.waitMessage({ messageId: ids.responseMessageId, timeout: { seconds: 20n } });
    expect(message?.status).toBe(MessageStatus.TIMED_OUT);
    await until(() => !isAlive(pid), 10_000);
  });

  it("cancels: the agent is killed and the response is CANCELLED", async () => {
    fs.rmSync(pidFile(), { force: true });
    const ids = await ask("[hang]");
    const pid = await readPid(pidFile());
    await until(async () => (await c.polling.showMessage({ messageId: ids.responseMessageId })).message?.status === MessageStatus.PROCESSING);
    const { message } = await c.polling.cancelMessage({ messageId: ids.responseMessageId, reason: "changed my mind" });
    expect(message?.status).toBe(MessageStatus.CANCELLED);
    expect(message?.error).toBe("changed my mind");
    await until(() => !isAlive(pid), 10_000);
  });

  it("runs at most --max-agents at once; later asks wait PENDING and start in order", async () => {
    const hang = await Promise.all([ask("[hang] one"), ask("[hang] two")]);
    const queued = [await ask("third"), await ask("fourth")];
    await until(async () => {
      const states = await Promise.all(hang.map((ids) => c.polling.showMessage({ messageId: ids.responseMessageId })));
      return states.every((s) => s.message?.status === MessageStatus.PROCESSING);
    });
    for (const ids of queued) {
      expect((await c.polling.showMessage({ messageId: ids.responseMessageId })).message?.status).toBe(MessageStatus.PENDING);
    }
    await c.polling.cancelMessage({ messageId: hang[0]!.responseMessageId });
    const third = await c.polling.waitMessage({ messageId: queued[0]!.responseMessageId, timeout: { seconds: 20n } });
    expect(third.message?.status).toBe(MessageStatus.COMPLETE);
    const fourth = await c.polling.showMessage({ messageId: queued[1]!.responseMessageId });
    expect([MessageStatus.PENDING, MessageStatus.PROCESSING]).toContain(fourth.message?.status); // still behind "two"
    await c.polling.cancelMessage({ messageId: hang[1]!.responseMessageId });
    const last = await c.polling.waitMessage({ messageId: queued[1]!.responseMessageId, timeout: { seconds: 20n } });
    expect(last.message?.status).toBe(MessageStatus.COMPLETE);
    expect(third.message!.completeTime!.seconds <= last.message!.completeTime!.seconds).toBe(true);
  });

  it("WaitMessage never misses a completion that races with its call", async () => {
    for (let i = 0; i < 20; i++) {
      const id = `race-${i}`;
      await c.messages.createMessage({ threadId: "t-race", messageId: id, status: MessageStatus.PROCESSING });
      const [waited] = await Promise.all([
        c.polling.waitMessage({ messageId: id, timeout: { seconds: 10n } }),
        c.messages.setStatus({ messageId: id, status: MessageStatus.COMPLETE }),
      ]);
      expect(waited.finished).toBe(true);
      expect(waited.message?.status).toBe(MessageStatus.COMPLETE);
    }
    const notYet = await c.polling.waitMessage({ messageId: "race-0", timeout: { seconds: 1n } });
    expect(notYet.finished).toBe(true);
    await c.messages.createMessage({ threadId: "t-race", messageId: "race-open", status: MessageStatus.PROCESSING });
    const timedOut = await c.polling.waitMessage({ messageId: "race-open", timeout: { seconds: 0n, nanos: 300_000_000 } });
    expect(timedOut.finished).toBe(false);
    expect(timedOut.message?.status).toBe(MessageStatus.PROCESSING);
  });

  it("refuses asks to unknown modules and empty questions", async () => {
    const unknown = await modules.askModule({ fromModule: "a", toModule: "nobody", question: "hi" }).catch((e) => ConnectError.from(e));
    expect(unknown).toMatchObject({ code: Code.NotFound });
    expect((unknown as ConnectError).rawMessage).toMatch(/module "nobody" is not registered .*module add nobody --dir/);
    const empty = await ask("   ").catch((e) => ConnectError.from(e));
    expect(empty).toMatchObject({ code: Code.InvalidArgument });
  });
});

describe("a daemon restarted during an ask", () => {
  it("leaves no response PROCESSING: the orphaned response becomes FAILED", async () => {
    const temp = makeTempHome();
    const env = { FAKE_AGENT_PID_FILE: path.join(temp.home, "agent.pid") };
    let daemon = await startDaemonProcess(temp.home, agentArgs(), env);
    let c = connectClients(daemon.socket);
    const modules = moduleClient(c);
    await modules.registerModule({ module: { name: "m", directory: temp.home } });
    const ids = await modules.askModule({ fromModule: "a", toModule: "m", question: "[hang]" });
    const pid = await readPid(env.FAKE_AGENT_PID_FILE);
    await until(async () => (await c.polling.showMessage({ messageId: ids.responseMessageId })).message?.status === MessageStatus.PROCESSING);
    await daemon.kill();
    try {
      process.kill(-pid, "SIGKILL"); // the agent would die of a broken pipe; make it prompt
    } catch {
      // already gone
    }
    daemon = await startDaemonProcess(temp.home, agentArgs(), env);
    c = connectClients(daemon.socket);
    const { message } = await c.polling.showMessage({ messageId: ids.responseMessageId });
    expect(message?.status).toBe(MessageStatus.FAILED);
    expect(message?.error).toMatch(/stopped before the agent finished/);
    await daemon.stop();
    temp.cleanup();
  });

  it("a graceful stop fails the running ask with a clear error and kills its agent", async () => {
    const temp = makeTempHome();
    const env = { FAKE_AGENT_PID_FILE: path.join(temp.home, "agent.pid") };
    const daemon = await startDaemonProcess(temp.home, agentArgs(), env);
    const c = connectClients(daemon.socket);
    const modules = moduleClient(c);
    await modules.registerModule({ module: { name: "m", directory: temp.home } });
    const ids = await modules.askModule({ fromModule: "a", toModule: "m", question: "[hang]" });
    const pid = await readPid(env.FAKE_AGENT_PID_FILE);
    expect(await daemon.stop()).toBe(0);
    expect(isAlive(pid)).toBe(false);
    const again = await startDaemonProcess(temp.home, agentArgs(), env);
    const shown = await connectClients(again.socket).polling.showMessage({ messageId: ids.responseMessageId });
    expect(shown.message?.status).toBe(MessageStatus.FAILED);
    expect(shown.message?.error).toMatch(/daemon stopped before the agent finished/);
    await again.stop();
    temp.cleanup();
  });
});
