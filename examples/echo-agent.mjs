#!/usr/bin/env node
/**
 * echo-agent: a demo agent for claude-comms that needs no Claude Code installation.
 *
 * claude-comms answers `AskModule` by running an agent command in the target module's
 * directory, by default Claude Code:
 *
 *   claude -p [QUESTION] --output-format stream-json --verbose [--include-partial-messages] [--system-prompt S]
 *
 * This script accepts the same arguments and prints what Claude Code 2.1 prints, one JSON
 * object per line: `system/init`, a `system/status` before each model call, a tool call (an
 * `assistant` line with a `tool_use` block) and its result (a `user` line with a
 * `tool_result`), the answer, and a final `result` line (session id, cost, duration, turns).
 * With `--include-partial-messages` the answer is one text block streamed as `stream_event`
 * lines wrapping the API's raw events (`message_start`, `content_block_start`, one
 * `content_block_delta`/`text_delta` per chunk, …) and the complete `assistant` line follows the
 * last delta, as Claude Code does. Without it, the answer comes as several `assistant` lines
 * (one per chunk; Claude Code would print one) so a runner that does not ask for partial
 * messages still sees it stream in. Plain Node.js, no dependencies.
 *
 * The question is the positional argument, or standard input when there is none (as with
 * Claude Code, which joins both when both are given). `--` ends the options.
 *
 * Try it by hand:
 *
 *   node examples/echo-agent.mjs -p "hello" --output-format stream-json --verbose --include-partial-messages
 *   echo "--not-an-option" | node examples/echo-agent.mjs -p --output-format stream-json --verbose
 *
 * Use it as the daemon's agent, so `claude-comms ask` works without Claude:
 *
 *   CLAUDE_COMMS_AGENT_COMMAND="node /abs/path/to/examples/echo-agent.mjs" claude-comms poll start
 *   (or the daemon's --agent-command option, or a module's own agent command)
 *
 * What it answers depends on markers in the question, so every path of the daemon can be
 * tried by hand:
 *
 *   (none)        a short paragraph that quotes the question, streamed in 5 chunks
 *   [echo]        the question itself, verbatim (quotes, $(...), backticks, newlines)
 *   [sysprompt]   the --system-prompt text ("(no system prompt)" without one)
 *   [cwd]         the directory it runs in (the module's directory)
 *   [unicode]     emoji, CJK and accented text
 *   [big]         about 1 MiB of numbered lines, in 128 chunks
 *   [nonjson]     also prints plain, non-JSON lines (the daemon keeps them as text)
 *   [resultonly]  no streamed text: the answer only in the result line
 *   [noresult]    exits 0 without a result line
 *   [fail]        an error result (is_error: true), exit code 0
 *   [overloaded]  two `system/api_retry` lines (HTTP 529, "overloaded") before the answer
 *   [autherror]   what Claude Code does with a bad API key: `api_retry` lines with
 *                 error_status 401 (CLAUDE_CODE_MAX_RETRIES of them, default 10), then a
 *                 synthetic assistant error message, a result with is_error, exit code 1
 *   [exit3]       writes to stderr and exits with code 3 (a crash)
 *   [hang]        one chunk, then never finishes (try a timeout, or cancel the message);
 *                 it also starts a child process, to show the whole group is killed
 *   [stubborn]    with [hang]: ignore SIGTERM, so only SIGKILL after the grace ends it
 *   [orphan]      answers normally but leaves a child process holding its output open
 *                 (the daemon kills it after the grace instead of waiting forever)
 *
 * Environment:
 *   FAKE_AGENT_DELAY_MS   pause between chunks (and retries) in ms (default 20; raise it to
 *                         watch the answer stream in with `claude-comms poll watch`)
 *   FAKE_AGENT_PID_FILE   write the pid here (and a [hang] child's pid to "<file>.child")
 *
 * `--resume ID` answers in that session (its id in every line). Unknown options (say
 * --model) are ignored with a note on stderr, so a command written for Claude Code still works.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

const started = Date.now();
const delayMs = Number(process.env.FAKE_AGENT_DELAY_MS ?? 20);
const MODEL = "echo-agent";

/** Claude Code options that take one value, and those that take values up to the next option. */
const VALUE_OPTIONS = new Set(["--output-format", "--input-format", "--system-prompt", "--append-system-prompt", "--model", "--fallback-model", "--permission-mode", "--max-turns", "--resume", "-r", "--session-id", "--settings", "--effort", "--max-budget-usd"]);
const LIST_OPTIONS = new Set(["--allowedTools", "--allowed-tools", "--disallowedTools", "--disallowed-tools", "--tools", "--add-dir", "--mcp-config", "--betas"]);

function parseArgs(argv) {
  const options = { print: false, positional: [], values: {}, flags: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      options.positional.push(...argv.slice(i + 1));
      break;
    }
    if (arg === "-p" || arg === "--print") options.print = true;
    else if (VALUE_OPTIONS.has(arg)) options.values[arg] = argv[++i];
    else if (LIST_OPTIONS.has(arg)) while (argv[i + 1] !== undefined && !argv[i + 1].startsWith("-")) i++;
    else if (arg.startsWith("-")) options.flags.add(arg);
    else options.positional.push(arg);
  }
  for (const flag of options.flags) if (!["--verbose", "--include-partial-messages"].includes(flag)) process.stderr.write(`echo-agent: ignoring ${flag}\n`);
  if (!options.print) fail("needs -p (print mode)");
  if (options.values["--output-format"] !== "stream-json" || !options.flags.has("--verbose")) fail("needs --output-format stream-json --verbose");
  return options;
}

function fail(message) {
  process.stderr.write(`echo-agent: ${message}\n`);
  process.exit(2);
}

/** The question: the positional argument and/or standard input, as Claude Code reads them. */
async function readQuestion(positional) {
  const stdin = process.stdin.isTTY ? "" : await readStdin();
  const question = [positional[0], stdin].filter((part) => part !== undefined && part !== "").join("\n");
  if (question === "") fail("Input must be provided either through stdin or as a prompt argument when using --print");
  return question;
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  // Claude Code drops the newline `echo` adds.
  return Buffer.concat(chunks).toString("utf8").replace(/\n$/, "");
}

/** Writes one line and waits until the pipe took it (backpressure on big output). */
function writeLine(line) {
  return new Promise((resolve) => process.stdout.write(`${line}\n`, () => resolve()));
}

/** Splits text into about `count` pieces on code-point boundaries (JSON needs whole ones). */
function split(text, count) {
  const points = Array.from(text);
  const size = Math.max(1, Math.ceil(points.length / count));
  const pieces = [];
  for (let i = 0; i < points.length; i += size) pieces.push(points.slice(i, i + size).join(""));
  return pieces;
}

function bigAnswer(unicode) {
  const line = unicode ? "héllo wörld — 你好，世界 — 🚀🎉 ünïcödé çà et là" : "the quick brown fox jumps over the lazy dog";
  const lines = [];
  let size = 0;
  for (let n = 1; size < 1024 * 1024; n++) {
    const text = `${String(n).padStart(6, "0")} ${line}\n`;
    lines.push(text);
    size += Buffer.byteLength(text);
  }
  return lines.join("");
}

function chooseAnswer(question, systemPrompt) {
  const unicode = question.includes("[unicode]");
  if (question.includes("[big]")) return bigAnswer(unicode);
  if (question.includes("[echo]")) return question;
  if (question.includes("[sysprompt]")) return systemPrompt ?? "(no system prompt)";
  if (question.includes("[cwd]")) return process.cwd();
  if (unicode) return "Réponse: 你好，世界! Grüße aus Köln 🚀🎉👩‍💻 — ça marche, naïve café, 日本語のテキスト。";
  return `This is the echo agent answering "${question}". It streams this paragraph in several `
    + "chunks, the way Claude Code streams an answer, so the daemon can be exercised without a real agent.";
}

function startGrandchild(stubborn) {
  const code = `${stubborn ? "process.on('SIGTERM', () => {});" : ""} setInterval(() => {}, 1000);`;
  // It inherits stdout, like a server a tool call left running in the background.
  const child = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "inherit", "inherit"] });
  child.unref();
  if (process.env.FAKE_AGENT_PID_FILE) writeFileSync(`${process.env.FAKE_AGENT_PID_FILE}.child`, String(child.pid));
}

/** Prints Claude Code's lines for one session. */
class Printer {
  constructor(sessionId, partial) {
    this.sessionId = sessionId;
    this.partial = partial;
  }

  emit(event) {
    return writeLine(JSON.stringify({ ...event, session_id: this.sessionId, uuid: randomUUID() }));
  }

  system(subtype, fields = {}) {
    return this.emit({ type: "system", subtype, ...fields });
  }

  /** A raw API event, printed only with --include-partial-messages. */
  async event(event) {
    if (this.partial) await this.emit({ type: "stream_event", event, parent_tool_use_id: null });
  }

  assistant(messageId, block, extra = {}) {
    const message = { id: messageId, type: "message", role: "assistant", model: MODEL, content: [block], stop_reason: null, stop_sequence: null, usage: { input_tokens: 100, output_tokens: 1 } };
    return this.emit({ type: "assistant", message, parent_tool_use_id: null, ...extra });
  }

  async startMessage(messageId) {
    // Claude Code says "requesting" once per model call, not again after a retry.
    if (!this.retried) await this.system("status", { status: "requesting" });
    this.retried = false;
    await this.event({ type: "message_start", message: { id: messageId, type: "message", role: "assistant", model: MODEL, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 100, output_tokens: 1 } } });
  }

  async endMessage(stopReason) {
    await this.event({ type: "message_delta", delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: 10 } });
    await this.event({ type: "message_stop" });
  }

  /** A model turn that calls a tool, then the tool's result. */
  async toolRoundTrip(name, input, output) {
    const id = `toolu_echo_${randomUUID().slice(0, 8)}`;
    await this.startMessage("msg_echo_tool");
    await this.event({ type: "content_block_start", index: 0, content_block: { type: "tool_use", id, name, input: {} } });
    await this.event({ type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: JSON.stringify(input) } });
    await this.assistant("msg_echo_tool", { type: "tool_use", id, name, input });
    await this.event({ type: "content_block_stop", index: 0 });
    await this.endMessage("tool_use");
    await this.emit({ type: "user", message: { role: "user", content: [{ tool_use_id: id, type: "tool_result", content: output, is_error: false }] }, parent_tool_use_id: null });
  }

  result(fields) {
    const duration = Date.now() - started;
    return this.emit({ type: "result", subtype: "success", is_error: false, duration_ms: duration, duration_api_ms: duration, num_turns: 2, stop_reason: "end_turn", total_cost_usd: 0.0123, permission_denials: [], ...fields });
  }
}

/** Streams the answer; returns false when a [hang] question stopped it midway. */
async function streamAnswer(out, pieces, has) {
  const pause = has("big") ? 0 : delayMs;
  const messageId = "msg_echo_answer";
  await out.startMessage(messageId);
  if (pieces.length > 0) await out.event({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } });
  for (const [index, text] of pieces.entries()) {
    if (out.partial) await out.event({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text } });
    else await out.assistant(messageId, { type: "text", text });
    if (has("nonjson")) await writeLine(`plain line ${index + 1} (not json)`);
    if (has("hang")) {
      setInterval(() => {}, 1000);
      return false;
    }
    if (pause > 0 && index < pieces.length - 1) await sleep(pause);
  }
  if (out.partial && pieces.length > 0) await out.assistant(messageId, { type: "text", text: pieces.join("") });
  if (pieces.length > 0) await out.event({ type: "content_block_stop", index: 0 });
  await out.endMessage("end_turn");
  return true;
}

/** Claude Code's retries of a failing model call: one `api_retry` line per attempt. */
async function retries(out, count, errorStatus, error) {
  await out.system("status", { status: "requesting" });
  out.retried = true;
  for (let attempt = 1; attempt <= count; attempt++) {
    await out.system("api_retry", { attempt, max_retries: maxRetries(), retry_delay_ms: delayMs, error_status: errorStatus, error });
    await sleep(delayMs);
  }
}

function maxRetries() {
  const value = Number(process.env.CLAUDE_CODE_MAX_RETRIES ?? 10);
  return Number.isInteger(value) && value >= 0 ? Math.min(value, 15) : 10;
}

async function authError(out) {
  await retries(out, maxRetries(), 401, "authentication_failed");
  const text = "Invalid API key · Fix external API key";
  await out.assistant(randomUUID(), { type: "text", text }, { error: "authentication_failed", is_api_error_message: true, api_error_status: 401, api_error_type: "authentication_error" });
  await out.result({ is_error: true, result: text, num_turns: 1, total_cost_usd: 0, api_error_status: 401, terminal_reason: "api_error", stop_reason: "stop_sequence" });
  process.exit(1);
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  // A stubborn question given as an argument ignores SIGTERM from the very start.
  if (options.positional[0]?.includes("[stubborn]")) process.on("SIGTERM", () => {});
  if (process.env.FAKE_AGENT_PID_FILE) writeFileSync(process.env.FAKE_AGENT_PID_FILE, String(process.pid));
  const question = await readQuestion(options.positional);
  const systemPrompt = options.values["--system-prompt"];
  const has = (marker) => question.includes(`[${marker}]`);
  if (has("stubborn") && process.listenerCount("SIGTERM") === 0) process.on("SIGTERM", () => {});

  const out = new Printer(options.values["--resume"] ?? options.values["-r"] ?? randomUUID(), options.flags.has("--include-partial-messages"));
  await out.system("init", { cwd: process.cwd(), tools: ["Bash", "Read"], mcp_servers: [], model: MODEL, permissionMode: options.values["--permission-mode"] ?? "default", apiKeySource: "none", claude_code_version: "echo-agent" });
  if (has("exit3")) {
    process.stderr.write("echo-agent: simulated crash\nsomething went wrong in the echo agent\n");
    process.exit(3);
  }
  if (has("autherror")) return authError(out);
  if (has("overloaded")) await retries(out, 2, 529, "overloaded");
  // A tool round trip first, as Claude Code usually does: it must not reach the answer.
  await out.toolRoundTrip("Read", { file_path: "README.md" }, "# readme\n");

  const answer = chooseAnswer(question, systemPrompt);
  const pieces = has("resultonly") ? [] : split(answer, has("big") ? 128 : 5);
  // The grandchild exists before any text, so a test that saw text can also find its pid.
  if (has("hang") || has("orphan")) startGrandchild(has("stubborn"));
  if (!(await streamAnswer(out, pieces, has))) return;
  if (has("noresult")) return;
  if (has("fail")) await out.result({ subtype: "error_during_execution", is_error: true, result: "echo-agent: simulated failure (the model refused)" });
  else await out.result({ result: answer });
}

await main();
