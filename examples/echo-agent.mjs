#!/usr/bin/env node
/**
 * echo-agent: a demo agent for claude-comms that needs no Claude Code installation.
 *
 * claude-comms answers `AskModule` by running an agent command in the target module's
 * directory, by default Claude Code:
 *
 *   claude -p QUESTION --output-format stream-json --verbose [--system-prompt S]
 *
 * This script accepts the same arguments and prints the same kind of output: one JSON
 * object per line (a `system` init line, a tool call and its result, the answer as several
 * `assistant` text chunks, and a final `result` line with session id, cost, duration and
 * number of turns). Plain Node.js, no dependencies.
 *
 * Try it by hand:
 *
 *   node examples/echo-agent.mjs -p "hello" --output-format stream-json --verbose
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
 *   [fail]        an error result (is_error: true), exit code 0, as Claude reports errors
 *   [exit3]       writes to stderr and exits with code 3 (a crash)
 *   [hang]        one chunk, then never finishes (try a timeout, or cancel the message);
 *                 it also starts a child process, to show the whole group is killed
 *   [stubborn]    with [hang]: ignore SIGTERM, so only SIGKILL after the grace ends it
 *   [orphan]      answers normally but leaves a child process holding its output open
 *                 (the daemon kills it after the grace instead of waiting forever)
 *
 * Environment:
 *   FAKE_AGENT_DELAY_MS   pause between chunks in ms (default 20; raise it to watch the
 *                         answer stream in with `claude-comms poll watch`)
 *   FAKE_AGENT_PID_FILE   write the pid here (and a [hang] child's pid to "<file>.child")
 *
 * Unknown options (say --model) are ignored with a note on stderr, so a command prefix
 * written for Claude Code still works with it.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

const started = Date.now();
const sessionId = randomUUID();
const delayMs = Number(process.env.FAKE_AGENT_DELAY_MS ?? 20);

function parseArgs(argv) {
  const options = { question: undefined, outputFormat: undefined, verbose: false, systemPrompt: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "-p" || arg === "--print") options.question = argv[++i];
    else if (arg === "--output-format") options.outputFormat = argv[++i];
    else if (arg === "--verbose") options.verbose = true;
    else if (arg === "--system-prompt") options.systemPrompt = argv[++i];
    else ignoreOption(argv, i) && i++;
  }
  if (options.question === undefined) fail("missing -p QUESTION");
  if (options.outputFormat !== "stream-json" || !options.verbose) fail("needs --output-format stream-json --verbose");
  return options;
}

/** Notes an unknown option; returns true when it also took the next argument as its value. */
function ignoreOption(argv, i) {
  const takesValue = argv[i].startsWith("--") && !argv[i].includes("=") && argv[i + 1] !== undefined && !argv[i + 1].startsWith("-");
  process.stderr.write(`echo-agent: ignoring ${takesValue ? `${argv[i]} ${argv[i + 1]}` : argv[i]}\n`);
  return takesValue;
}

function fail(message) {
  process.stderr.write(`echo-agent: ${message}\n`);
  process.exit(2);
}

/** Writes one line and waits until the pipe took it (backpressure on big output). */
function writeLine(line) {
  return new Promise((resolve) => process.stdout.write(`${line}\n`, () => resolve()));
}

const emit = (event) => writeLine(JSON.stringify(event));

function assistant(messageId, content) {
  return {
    type: "assistant",
    message: { id: messageId, type: "message", role: "assistant", model: "echo-agent", content, stop_reason: null },
    parent_tool_use_id: null,
    session_id: sessionId,
  };
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

async function main() {
  const { question, systemPrompt } = parseArgs(process.argv.slice(2));
  const has = (marker) => question.includes(`[${marker}]`);
  if (process.env.FAKE_AGENT_PID_FILE) writeFileSync(process.env.FAKE_AGENT_PID_FILE, String(process.pid));
  if (has("stubborn")) process.on("SIGTERM", () => {});

  await emit({ type: "system", subtype: "init", cwd: process.cwd(), session_id: sessionId, tools: ["Read", "Bash"], mcp_servers: [], model: "echo-agent", permissionMode: "default", apiKeySource: "none" });
  if (has("exit3")) {
    process.stderr.write("echo-agent: simulated crash\nsomething went wrong in the echo agent\n");
    process.exit(3);
  }
  // A tool round trip first, as Claude Code usually does: it must not reach the answer.
  await emit(assistant("msg_echo_tool", [{ type: "tool_use", id: "toolu_echo", name: "Read", input: { file_path: "README.md" } }]));
  await emit({ type: "user", message: { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_echo", content: "# readme\n" }] }, session_id: sessionId });

  const answer = chooseAnswer(question, systemPrompt);
  const pieces = has("resultonly") ? [] : split(answer, has("big") ? 128 : 5);
  const pause = has("big") ? 0 : delayMs;
  // The grandchild exists before any text, so a test that saw text can also find its pid.
  if (has("hang") || has("orphan")) startGrandchild(has("stubborn"));
  for (const [index, piece] of pieces.entries()) {
    await emit(assistant("msg_echo_answer", [{ type: "text", text: piece }]));
    if (has("nonjson")) await writeLine(`plain line ${index + 1} (not json)`);
    if (has("hang")) {
      setInterval(() => {}, 1000);
      return;
    }
    if (pause > 0) await sleep(pause);
  }
  if (has("noresult")) return;
  const isError = has("fail");
  await emit({
    type: "result",
    subtype: isError ? "error_during_execution" : "success",
    is_error: isError,
    duration_ms: Date.now() - started,
    duration_api_ms: Date.now() - started,
    num_turns: 2,
    result: isError ? "echo-agent: simulated failure (the model refused)" : answer,
    session_id: sessionId,
    total_cost_usd: 0.0123,
  });
}

await main();
