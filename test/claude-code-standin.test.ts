// Pins what the real Claude Code CLI prints (`-p --output-format stream-json --verbose
// --include-partial-messages`) against a local stand-in of the Messages API: the daemon's
// ask runner parses exactly these lines, so an upgrade of the CLI that changes them fails here.
// test/fixtures/claude-code/README.md documents the lines in full.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMessagesApi, type MessagesApi, type Step } from "./fixtures/messages-api.js";
import { claudeBinary, linesOf, runClaude, sessionDir, STREAM_FLAGS, streamEvents, type ClaudeRun, type RunClaudeOptions } from "./helpers/claude-code.js";
import { makeTempHome } from "./helpers/temp-home.js";

const overloaded: Step = { error: { status: 529, type: "overloaded_error", message: "Overloaded" } };
const unauthorized: Step = { error: { status: 401, type: "authentication_error", message: "invalid x-api-key" } };

// Each run starts a ~370 MB binary: ~1.5 s alone, 5-10 s on a loaded 2-core machine.
describe("the real Claude Code CLI against the Messages API stand-in", { timeout: 90_000 }, () => {
  const temp = makeTempHome("cc-claude-");
  let api: MessagesApi;
  let runs = 0;

  beforeAll(async () => {
    claudeBinary(); // fails the file with a clear message when the CLI is not there
    api = await startMessagesApi();
  });

  afterAll(async () => {
    await api?.close();
    temp.cleanup();
  });

  /** Runs one question with a fresh HOME and cwd (unless given), the stand-in answering `steps`. */
  const ask = async (steps: Step[], args: string[], extra: Partial<RunClaudeOptions> = {}): Promise<ClaudeRun> => {
    api.setScript(steps);
    api.requests.length = 0;
    const dir = `${temp.home}/run-${++runs}`;
    const run = await runClaude({ apiUrl: api.url, home: `${dir}/home`, cwd: `${dir}/cwd`, args: [...args, ...STREAM_FLAGS], timeoutMs: 45_000, ...extra });
    expect(run.otherLines, "every stdout line is JSON").toEqual([]);
    return run;
  };

  const textDeltas = (run: ClaudeRun): string[] =>
    streamEvents(run)
      .filter((e) => e.type === "content_block_delta" && e.delta.type === "text_delta")
      .map((e) => e.delta.text);

  it("streams the answer as stream_event deltas while it is written, between init and the assistant line", async () => {
    const text = "The quick brown fox jumps over the lazy dog, then naps in the sun.";
    const run = await ask([{ text, chunkBytes: 10, delayMs: 60 }], ["-p", "say something"]);
    expect(run.code).toBe(0);
    const types = run.lines.map((l) => l.json.type);
    expect(types[0]).toBe("system");
    const init = run.lines[0].json;
    expect(init).toMatchObject({ subtype: "init", session_id: expect.any(String), cwd: expect.any(String), model: expect.any(String) });

    const deltas = textDeltas(run);
    expect(deltas.length).toBe(7);
    expect(deltas.join("")).toBe(text);
    // They arrive as written, not all at the end: the first and last delta ~360 ms apart.
    const deltaTimes = run.lines.filter((l) => l.json.type === "stream_event" && l.json.event.type === "content_block_delta").map((l) => l.atMs);
    expect(deltaTimes.at(-1)! - deltaTimes[0]).toBeGreaterThan(250);
    for (const line of linesOf(run, "stream_event")) expect(line.session_id).toBe(init.session_id);

    const assistant = linesOf(run, "assistant");
    expect(assistant).toHaveLength(1);
    expect(assistant[0].message.content).toEqual([{ type: "text", text }]);
    const result = linesOf(run, "result");
    expect(result).toHaveLength(1);
    expect(result[0]).toMatchObject({ subtype: "success", is_error: false, result: text, num_turns: 1, session_id: init.session_id });
    expect(result[0].total_cost_usd).toBeGreaterThan(0);
    expect(result[0].duration_ms).toBeGreaterThan(0);
    expect(types.at(-1)).toBe("result");
  });

  it("reads the question from stdin when -p has no argument, even one that starts with a dash", async () => {
    const run = await ask([{ text: "fine" }], ["-p"], { stdin: "--version\n--dangerously-skip-permissions what does this print?" });
    expect(run.code).toBe(0);
    expect(linesOf(run, "result")[0]).toMatchObject({ subtype: "success", result: "fine" });
    const [request] = api.messageRequests();
    const firstUser = request.body.messages[0].content.map((block: { text?: string }) => block.text ?? "").join("\n");
    expect(firstUser).toContain("--version\n--dangerously-skip-permissions what does this print?");
  });

  it("shows a tool-use turn: input_json_delta events, an assistant tool_use line, a user tool_result, then the answer", async () => {
    const run = await ask(
      [{ text: "Let me run it.", toolUse: { name: "Bash", input: { command: "echo hi", description: "Print hi" } }, chunkBytes: 8 }, { text: "It printed hi." }],
      ["-p", "run echo hi"],
    );
    expect(run.code).toBe(0);
    const jsonDeltas = streamEvents(run).filter((e) => e.type === "content_block_delta" && e.delta.type === "input_json_delta");
    expect(jsonDeltas.length).toBeGreaterThan(1);
    expect(JSON.parse(jsonDeltas.map((e) => e.delta.partial_json).join(""))).toEqual({ command: "echo hi", description: "Print hi" });

    // One assistant line per content block, all with the same message id.
    const assistant = linesOf(run, "assistant");
    expect(assistant.map((a) => a.message.content[0].type)).toEqual(["text", "tool_use", "text"]);
    expect(assistant[0].message.id).toBe(assistant[1].message.id);
    expect(assistant[1].message.content[0]).toMatchObject({ type: "tool_use", name: "Bash", input: { command: "echo hi" } });
    const [user] = linesOf(run, "user");
    expect(user.message.content[0]).toMatchObject({ type: "tool_result", tool_use_id: assistant[1].message.content[0].id, content: "hi", is_error: false });
    expect(linesOf(run, "result")[0]).toMatchObject({ subtype: "success", num_turns: 2, result: "It printed hi." });

    // The second model call carries the tool result.
    const second = api.messageRequests()[1].body.messages.at(-1);
    expect(second.content[0]).toMatchObject({ type: "tool_result", content: "hi" });
  });

  it("prints a system/api_retry line for each HTTP 529, then answers", async () => {
    const run = await ask([overloaded, overloaded, { text: "finally" }], ["-p", "hi"]);
    expect(run.code).toBe(0);
    const retries = linesOf(run, "system", "api_retry");
    expect(retries).toHaveLength(2);
    expect(retries.map((r) => r.attempt)).toEqual([1, 2]);
    for (const retry of retries) {
      expect(retry).toMatchObject({ error_status: 529, error: "overloaded", max_retries: 10, session_id: expect.any(String) });
      expect(retry.retry_delay_ms).toBeGreaterThan(0);
    }
    expect(linesOf(run, "result")[0]).toMatchObject({ subtype: "success", is_error: false, result: "finally" });
    expect(api.messageRequests()).toHaveLength(3);
  });

  it("retries a 401 too, printing api_retry with error_status 401; CLAUDE_CODE_MAX_RETRIES bounds it", async () => {
    const run = await ask([unauthorized, unauthorized, unauthorized], ["-p", "hi"], { env: { CLAUDE_CODE_MAX_RETRIES: "1" } });
    const [retry] = linesOf(run, "system", "api_retry");
    expect(retry).toMatchObject({ attempt: 1, max_retries: 1, error_status: 401, error: "authentication_failed" });
    const [result] = linesOf(run, "result");
    expect(result).toMatchObject({ is_error: true, api_error_status: 401 });
    expect(api.messageRequests()).toHaveLength(2);
  });

  it("resumes a session with --resume: same session id, the earlier exchange sent again", async () => {
    const dirs = { home: `${temp.home}/resume/home`, cwd: `${temp.home}/resume/cwd` };
    const first = await ask([{ text: "The secret word is PELICAN." }], ["-p", "remember PELICAN"], dirs);
    const sessionId = linesOf(first, "result")[0].session_id;
    expect(fs.readdirSync(sessionDir(dirs.home, dirs.cwd))).toContain(`${sessionId}.jsonl`);
    const second = await ask([{ text: "You told me PELICAN." }], ["-p", "what was the word?", "--resume", sessionId], dirs);
    expect(linesOf(second, "system", "init")[0].session_id).toBe(sessionId);
    expect(linesOf(second, "result")[0]).toMatchObject({ session_id: sessionId, result: "You told me PELICAN.", num_turns: 1 });
    const sent = JSON.stringify(api.messageRequests()[0].body.messages);
    expect(sent).toContain("remember PELICAN");
    expect(sent).toContain("The secret word is PELICAN.");
    expect(sent).toContain("what was the word?");
  });

  it("drops a cut connection's message (its streamed blocks marked abandoned) and retries from a new message_start", async () => {
    const run = await ask([{ cut: { text: "This answer will be cut off", afterDeltas: 2, chunkBytes: 8, delayMs: 50 } }, { text: "second try" }], ["-p", "hi"]);
    expect(run.code).toBe(0);
    const kinds = run.lines.map((l) => kindOf(l.json));
    const retryAt = kinds.indexOf("system:api_retry");
    expect(run.lines[retryAt].json).toMatchObject({ attempt: 1, error_status: null, error: "unknown" });
    // Before the retry: either nothing of the cut message (the CLI, when slow, never read its
    // events) or its events, closed by the CLI itself with a message_stop naming the abandoned blocks.
    const cut = run.lines.slice(0, retryAt).filter((l) => l.json.type === "stream_event");
    if (cut.length > 0) {
      expect(cut.map((l) => l.json.event.type)).toEqual(["message_start", "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop", "message_stop"]);
      expect(cut.at(-1)!.json.abandoned_blocks).toEqual({ api_message_id: cut[0].json.api_message_id, from_block_index: 0 });
    }
    expect(kinds.slice(retryAt + 1)[0]).toBe("event:message_start:");
    expect(linesOf(run, "assistant").map((a) => a.message.content[0].text)).toEqual(["second try"]);
    expect(linesOf(run, "result")[0]).toMatchObject({ is_error: false, result: "second try" });
  });

  it("is what examples/echo-agent.mjs imitates: the same sequence of line kinds for a tool call and a streamed answer", async () => {
    const answer = "This is the echo agent answering, in five chunks of text.";
    const real = await ask([{ toolUse: { name: "Read", input: { file_path: "README.md" } } }, { text: answer, chunkBytes: 12 }], ["-p", "hi"], {
      cwd: `${temp.home}/echo-cwd`,
    });
    const echo = spawnSync(process.execPath, [fileURLToPath(new URL("../examples/echo-agent.mjs", import.meta.url)), "-p", "hi", ...STREAM_FLAGS], {
      encoding: "utf8",
      env: { ...process.env, FAKE_AGENT_DELAY_MS: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    expect(echo.status).toBe(0);
    const kinds = (lines: any[]) => collapse(lines.map(kindOf));
    expect(kinds(echo.stdout.trim().split("\n").map((line) => JSON.parse(line)))).toEqual(kinds(real.lines.map((l) => l.json)));
  });
});

/** A line's kind: type, subtype or raw event type, and the block or delta type. */
function kindOf(line: any): string {
  if (line.type === "stream_event") return `event:${line.event.type}:${line.event.content_block?.type ?? line.event.delta?.type ?? ""}`;
  if (line.type === "assistant") return `assistant:${line.message.content[0].type}`;
  if (line.type === "user") return `user:${line.message.content[0].type}`;
  return `${line.type}:${line.subtype ?? ""}`;
}

/** Runs of the same kind become one (the number of deltas differs). */
function collapse(kinds: string[]): string[] {
  return kinds.filter((kind, index) => kind !== kinds[index - 1]);
}
