// AskModule with the real Claude Code CLI (CLAUDE_COMMS_TEST_CLAUDE, installed by the test
// command), driven offline through the local stand-in of the Messages API: what a user of
// `claude-comms ask` gets from the agent it is built for.
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventKind, MessageStatus, type Event } from "../gen/claude_comms/v1/message_pb.js";
import { startMessagesApi, type MessagesApi, type Step } from "./fixtures/messages-api.js";
import { isAlive, waitFor } from "./fixtures/agent-kit.js";
import { claudeBinary } from "./helpers/claude-code.js";
import { connectClients, type TestClients } from "./helpers/clients.js";
import { collect, until } from "./helpers/collect.js";
import { startDaemonProcess, type DaemonProcess } from "./helpers/daemon-process.js";
import { moduleClient } from "./helpers/module-clients.js";
import { childrenOf, groupMembers } from "./helpers/process-tree.js";
import { makeTempHome } from "./helpers/temp-home.js";

const overloaded: Step = { error: { status: 529, type: "overloaded_error", message: "Overloaded" } };
const unauthorized: Step = { error: { status: 401, type: "authentication_error", message: "invalid x-api-key" } };
const WORDS = "The quick brown fox jumps over the lazy dog while the daemon streams every word to its watchers as it is written. ".repeat(4).trim();

describe("AskModule with the real Claude Code CLI", { timeout: 90_000 }, () => {
  const temp = makeTempHome("cc-real-");
  const dir = path.join(temp.home, "marker");
  let api: MessagesApi;
  let daemon: DaemonProcess;
  let c: TestClients;
  let modules: ReturnType<typeof moduleClient>;
  let claude: string;

  const startDaemon = async (): Promise<void> => {
    daemon = await startDaemonProcess(temp.home, ["--agent-command", claude, "--interval", "0.1"], {
      // The CLI keeps its sessions under HOME/.claude; the stand-in answers the model only.
      HOME: path.join(temp.home, "claude-home"),
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      DISABLE_AUTOUPDATER: "1",
    });
    c = connectClients(daemon.socket);
    modules = moduleClient(c);
  };

  beforeAll(async () => {
    claude = claudeBinary(); // fails the file with a clear message when the CLI is not there
    api = await startMessagesApi();
    fs.mkdirSync(dir, { recursive: true });
    await startDaemon();
    // The module's env points its agent at the stand-in: a per-module agent setting at work.
    const env = { ANTHROPIC_BASE_URL: api.url, ANTHROPIC_API_KEY: "sk-ant-standin" };
    await modules.registerModule({ module: { name: "marker", directory: dir, env } });
  });

  afterAll(async () => {
    await daemon?.stop();
    await api?.close();
    temp.cleanup();
  });

  const ask = async (steps: Step[], question: string, extra: { threadId?: string; newSession?: boolean; toModule?: string } = {}) => {
    api.setScript(steps);
    api.requests.length = 0;
    return modules.askModule({ fromModule: "arangodb", toModule: "marker", question, timeout: { seconds: 60n }, ...extra });
  };

  const finish = async (responseId: string) => {
    const { events } = await collect(c.polling.watchMessage({ messageId: responseId }));
    const shown = await c.polling.showMessage({ messageId: responseId, includeContent: true });
    return { events, message: shown.message! };
  };

  const kinds = (events: Event[]) => events.map((e) => EventKind[e.kind]);
  const firstUserText = (request: { body: any }): string =>
    request.body.messages[0].content.map((block: { text?: string }) => block.text ?? "").join("\n");

  it("streams the answer as it is written: progress while the text arrives, the final content equal to it", async () => {
    const ids = await ask([{ text: WORDS, chunkBytes: 10, delayMs: 40 }], "say something");
    const progress: Array<{ at: number; length: bigint }> = [];
    const { events } = await collect(c.polling.watchMessage({ messageId: ids.responseMessageId }), (e) => {
      if (e.kind === EventKind.PROGRESS) progress.push({ at: performance.now(), length: e.contentLength });
    });
    const shown = await c.polling.showMessage({ messageId: ids.responseMessageId, includeContent: true });
    expect(shown.message?.status).toBe(MessageStatus.COMPLETE);
    expect(shown.message?.content).toBe(WORDS);
    // 45 deltas 40 ms apart (~1.8 s): many samples of a growing answer, not one at the end.
    expect(progress.length).toBeGreaterThanOrEqual(8);
    expect(progress.at(-1)!.at - progress[0]!.at).toBeGreaterThan(1000);
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.length).toBeGreaterThan(progress[i - 1]!.length);
    const result = events.find((e) => e.kind === EventKind.AGENT_RESULT);
    expect(result?.detail).toMatch(/^1 turn, \$\d+\.\d{4}, \d+\.\d s$/);
    expect(kinds(events).slice(-2)).toEqual(["AGENT_RESULT", "STATUS_CHANGED"]);
  });

  it("records a tool-use turn as an event between the texts, which are joined as turns", async () => {
    const ids = await ask(
      [{ text: "Let me run it.", toolUse: { name: "Bash", input: { command: "echo hi", description: "Print hi" } } }, { text: "It printed hi." }],
      "run echo hi",
    );
    const { events, message } = await finish(ids.responseMessageId);
    expect(message.status).toBe(MessageStatus.COMPLETE);
    expect(message.content).toBe("Let me run it.\n\nIt printed hi.");
    const tool = events.find((e) => e.kind === EventKind.AGENT_TOOL_USE);
    expect(tool?.detail).toBe("Bash: echo hi");
    expect(kinds(events).indexOf("AGENT_TOOL_USE")).toBeLessThan(kinds(events).indexOf("AGENT_RESULT"));
    expect(events.find((e) => e.kind === EventKind.AGENT_RESULT)?.detail).toMatch(/^2 turns/);
  });

  it("shows each HTTP 529 retry as an event, then completes", async () => {
    const ids = await ask([overloaded, overloaded, { text: "finally" }], "hi");
    const { events, message } = await finish(ids.responseMessageId);
    expect(message.status).toBe(MessageStatus.COMPLETE);
    expect(message.content).toBe("finally");
    const retries = events.filter((e) => e.kind === EventKind.AGENT_RETRY).map((e) => e.detail);
    expect(retries).toHaveLength(2);
    expect(retries[0]).toMatch(/^attempt 1\/10: HTTP 529 overloaded, next try in \d+\.\d s$/);
    expect(retries[1]).toMatch(/^attempt 2\/10: HTTP 529 overloaded/);
  });

  it("fails fast on HTTP 401 with the reason, ending the agent's group (not at the deadline)", async () => {
    const started = performance.now();
    const ids = await ask(Array(12).fill(unauthorized), "hi");
    const { events, message } = await finish(ids.responseMessageId);
    expect(message.status).toBe(MessageStatus.FAILED);
    expect(message.error).toMatch(/^the agent's API answered HTTP 401 \(authentication_failed\): its API key or login was refused/);
    // The CLI would retry for ~197 s; the daemon stops it at the first retry.
    expect(performance.now() - started).toBeLessThan(30_000);
    expect(api.messageRequests().length).toBeLessThanOrEqual(2);
    expect(events.some((e) => e.kind === EventKind.AGENT_RETRY && e.detail.includes("HTTP 401"))).toBe(true);
    await waitFor(() => childrenOf(daemon.pid).every((p) => !p.cmdline.startsWith(claude)), 5000, "the agent to be gone");
  });

  it("takes back the text of an attempt whose connection was cut: the answer is the retried one", async () => {
    const ids = await ask(
      [{ cut: { text: "A partial answer that will be cut off", afterDeltas: 2, chunkBytes: 10 } }, { text: "The whole answer." }],
      "hi",
    );
    const { events, message } = await finish(ids.responseMessageId);
    expect(message.status).toBe(MessageStatus.COMPLETE);
    expect(message.content).toBe("The whole answer.");
    expect(events.some((e) => e.kind === EventKind.AGENT_RETRY && e.detail.startsWith("attempt 1/10: unknown"))).toBe(true);
  });

  it("cancels mid-stream: CANCELLED, and the agent's whole group is gone", async () => {
    const ids = await ask([{ endless: { text: "tick ", delayMs: 50 } }], "count forever");
    await until(async () => (await c.polling.showMessage({ messageId: ids.responseMessageId })).message!.contentLength > 20n, 30_000);
    const agent = childrenOf(daemon.pid).find((p) => p.cmdline.startsWith(claude));
    expect(agent).toBeDefined();
    await c.polling.cancelMessage({ messageId: ids.responseMessageId, reason: "no longer needed" });
    const { message } = await finish(ids.responseMessageId);
    expect(message.status).toBe(MessageStatus.CANCELLED);
    expect(message.error).toBe("no longer needed");
    await waitFor(() => groupMembers(agent!.pgid).length === 0, 8000, "the agent's group to be gone");
  });

  it("keeps the thread's conversation: a follow-up resumes the session, --new-session starts afresh", async () => {
    const first = await ask([{ text: "The secret word is PELICAN." }], "remember PELICAN");
    expect((await finish(first.responseMessageId)).message.content).toBe("The secret word is PELICAN.");
    const sessionId = (await c.polling.showMessage({ messageId: first.responseMessageId })).message?.metadata?.agent;
    const followUp = await ask([{ text: "It was PELICAN." }], "what was the word?", { threadId: first.threadId });
    expect((await finish(followUp.responseMessageId)).message.status).toBe(MessageStatus.COMPLETE);
    const [resumed] = api.messageRequests();
    // The CLI adds a system note of its own; the conversation is the earlier exchange, then the question.
    const conversation = resumed!.body.messages.filter((m: { role: string }) => m.role !== "system");
    expect(conversation.map((m: { role: string }) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(JSON.stringify(conversation[1])).toContain("The secret word is PELICAN.");
    const again = (await c.polling.showMessage({ messageId: followUp.responseMessageId })).message?.metadata?.agent;
    expect((again as any)?.session_id).toBe((sessionId as any)?.session_id);

    const fresh = await ask([{ text: "Which word?" }], "what was the word?", { threadId: first.threadId, newSession: true });
    expect((await finish(fresh.responseMessageId)).message.status).toBe(MessageStatus.COMPLETE);
    expect(api.messageRequests()[0]!.body.messages.filter((m: { role: string }) => m.role !== "system")).toHaveLength(1);
  });

  it("passes questions that look like options, span lines or are 1 MiB long as the question, never as flags", async () => {
    for (const question of ["--version", "-p --dangerously-skip-permissions\n--permission-mode=bypassPermissions second line"]) {
      const ids = await ask([{ text: "just an answer" }], question);
      const { message } = await finish(ids.responseMessageId);
      expect(message.content).toBe("just an answer");
      expect(firstUserText(api.messageRequests()[0]!)).toContain(question);
    }
    const big = `${"a long question line\n".repeat(52_429)}end`.slice(0, 1024 * 1024);
    const ids = await ask([{ text: "read it" }], big);
    expect((await finish(ids.responseMessageId)).message.content).toBe("read it");
    expect(firstUserText(api.messageRequests()[0]!)).toContain(big);
  });

  it("passes the module's agent settings as flags: model, appended system prompt, disallowed tools", async () => {
    const env = { ANTHROPIC_BASE_URL: api.url, ANTHROPIC_API_KEY: "sk-ant-standin" };
    await modules.registerModule({
      module: { name: "tuned", directory: dir, env, model: "claude-standin-model", appendSystemPrompt: "Answer in French.", disallowedTools: ["WebFetch"], maxTurns: 3 },
    });
    const listed = (await modules.listModules({})).modules.find((m) => m.name === "tuned");
    expect(listed).toMatchObject({ model: "claude-standin-model", appendSystemPrompt: "Answer in French.", disallowedTools: ["WebFetch"], maxTurns: 3 });
    const ids = await ask([{ text: "Bonjour." }], "hello", { toModule: "tuned" });
    expect((await finish(ids.responseMessageId)).message.content).toBe("Bonjour.");
    const [request] = api.messageRequests();
    expect(request!.body.model).toBe("claude-standin-model");
    expect(JSON.stringify(request!.body.system)).toContain("Answer in French.");
    const tools = request!.body.tools.map((t: { name: string }) => t.name);
    expect(tools).toContain("Bash");
    expect(tools).not.toContain("WebFetch");
  });

  it("leaves no agent behind a kill -9 of the daemon during a silent step: its group ends within 5 s", async () => {
    const ids = await ask([{ endless: { text: "thinking… ", delayMs: 60_000 } }], "think quietly");
    await until(async () => (await c.polling.showMessage({ messageId: ids.responseMessageId })).message!.contentLength > 0n, 30_000);
    const agent = childrenOf(daemon.pid).find((p) => p.cmdline.startsWith(claude));
    expect(agent).toBeDefined();
    await daemon.kill();
    const killedAt = performance.now();
    await waitFor(() => groupMembers(agent!.pgid).length === 0, 5000, "the agent's group to be gone");
    expect(performance.now() - killedAt).toBeLessThan(5000);
    expect(isAlive(agent!.pid)).toBe(false);
    await startDaemon();
    const { message } = await c.polling.showMessage({ messageId: ids.responseMessageId });
    expect(message?.status).toBe(MessageStatus.FAILED);
  });
});
