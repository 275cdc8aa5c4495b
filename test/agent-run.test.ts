import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { agentArgs } from "../src/agent/agent-settings.js";
import { agentEnv, runAgent, type RunAgentOptions } from "../src/agent/run-agent.js";
import type { AgentOutcome } from "../src/agent/outcome.js";
import { FAKE_COMMAND, isAlive, killQuietly, makeTempDir, readPid, textCollector, waitFor } from "./fixtures/agent-kit.js";

let temp: { dir: string; remove: () => void };
let pidFile: string;
let spawned: number[] = [];

beforeEach(() => {
  temp = makeTempDir();
  pidFile = join(temp.dir, "agent.pid");
  spawned = [];
});

afterEach(() => {
  killQuietly(spawned);
  temp.remove();
});

/** Runs the fake agent in the temp dir with a fast chunk delay unless told otherwise. */
function run(question: string, extra: Partial<RunAgentOptions> = {}, delayMs = 5): Promise<AgentOutcome> {
  return runAgent({
    command: FAKE_COMMAND,
    question,
    cwd: temp.dir,
    env: { ...process.env, FAKE_AGENT_DELAY_MS: String(delayMs), FAKE_AGENT_PID_FILE: pidFile },
    flushIntervalMs: 5,
    onText: async () => {},
    onStart: (pid) => void spawned.push(pid),
    ...extra,
  });
}

/** The pids of a [hang] agent and its grandchild, once both exist. */
async function hangPids(): Promise<[number, number]> {
  const pids: [number, number] = [await readPid(pidFile), await readPid(`${pidFile}.child`)];
  spawned.push(...pids);
  return pids;
}

describe("runAgent streaming", () => {
  it("delivers the answer in several onText calls while the agent still runs", async () => {
    const collected = textCollector();
    let aliveAtFirstText: boolean | undefined;
    const outcome = await run("what is up?", {
      onText: async (text) => {
        aliveAtFirstText ??= isAlive(await readPid(pidFile));
        await collected.onText(text);
      },
    }, 60);
    expect(outcome).toMatchObject({ status: "complete", error: "" });
    expect(collected.chunks.length).toBeGreaterThanOrEqual(3);
    expect(aliveAtFirstText).toBe(true);
    expect(collected.chunks.join("")).toBe(outcome.text);
    expect(outcome.text).toMatch(/^This is the echo agent answering "what is up\?"\. It streams/);
    expect(outcome.metadata).toMatchObject({ total_cost_usd: 0.0123, num_turns: 2, exit_code: 0 });
    expect(outcome.metadata.session_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(outcome.pid).toBe(spawned[0]);
  }, 10_000);

  it("never overlaps onText calls and settles the last one before resolving", async () => {
    const collected = textCollector(40);
    const outcome = await run("[big]", { onText: collected.onText, flushBytes: 64 * 1024 });
    expect(collected.maxConcurrent).toBe(1);
    expect(collected.chunks.join("")).toBe(outcome.text);
    expect(outcome.text.length).toBeGreaterThan(1024 * 1024 - 100);
  }, 20_000);

  it("coalesces: after the first text, nothing more until the interval or the end", async () => {
    const collected = textCollector();
    const started = performance.now();
    const outcome = await run("short", { onText: collected.onText, flushIntervalMs: 60_000 });
    expect(outcome.status).toBe("complete");
    expect(performance.now() - started).toBeLessThan(5000);
    expect(collected.chunks.length).toBeLessThanOrEqual(2);
    expect(collected.chunks.join("")).toBe(outcome.text);
  }, 10_000);

  it("calls onStart with the pid before any text", async () => {
    const order: string[] = [];
    await run("hello", { onStart: (pid) => void order.push(`start ${pid > 0}`), onText: async () => void order.push("text") });
    expect(order[0]).toBe("start true");
    expect(order.slice(1).every((entry) => entry === "text")).toBe(true);
  }, 10_000);

  it("passes a question with quotes, $(…), backticks and newlines verbatim", async () => {
    const question = `[echo] it's "quoted" $(touch pwned) \`touch pwned2\` $HOME %PATH% \\n\nsecond line\n\ttab; rm -rf x && echo * | cat > y`;
    const outcome = await run(question);
    expect(outcome).toMatchObject({ status: "complete", text: question });
    expect(existsSync(join(temp.dir, "pwned")) || existsSync(join(temp.dir, "pwned2"))).toBe(false);
  }, 10_000);

  it("passes the system prompt, and omits it when not given", async () => {
    const prompt = "You are \"module-a\".\nAnswer in one line; don't run `tools`.";
    expect((await run("[sysprompt]", { systemPrompt: prompt })).text).toBe(prompt);
    expect((await run("[sysprompt]")).text).toBe("(no system prompt)");
  }, 10_000);

  it("runs the agent in the given working directory", async () => {
    expect((await run("[cwd]")).text).toBe(temp.dir);
  }, 10_000);

  it("keeps non-JSON lines as text", async () => {
    const outcome = await run("[nonjson]");
    expect(outcome.status).toBe("complete");
    for (let n = 1; n <= 5; n++) expect(outcome.text).toContain(`plain line ${n} (not json)\n`);
  }, 10_000);

  it("delivers ~1 MiB of output intact", async () => {
    const outcome = await run("[big]");
    const lines = outcome.text.split("\n");
    expect(lines.pop()).toBe("");
    expect(lines.length).toBeGreaterThan(20_000);
    lines.forEach((line, i) => expect(line).toBe(`${String(i + 1).padStart(6, "0")} the quick brown fox jumps over the lazy dog`));
  }, 20_000);

  it("delivers big multi-byte output intact across pipe reads", async () => {
    const outcome = await run("[big][unicode]");
    const lines = outcome.text.split("\n").slice(0, -1);
    expect(Buffer.byteLength(outcome.text)).toBeGreaterThan(1024 * 1024);
    const body = "héllo wörld — 你好，世界 — 🚀🎉 ünïcödé çà et là";
    lines.forEach((line, i) => expect(line).toBe(`${String(i + 1).padStart(6, "0")} ${body}`));
  }, 20_000);

  it("delivers emoji, CJK and accents intact", async () => {
    const outcome = await run("[unicode]");
    expect(outcome.text).toBe("Réponse: 你好，世界! Grüße aus Köln 🚀🎉👩‍💻 — ça marche, naïve café, 日本語のテキスト。");
  }, 10_000);

  it("takes the answer from the result when no assistant text streamed", async () => {
    const outcome = await run("[resultonly] hi");
    expect(outcome).toMatchObject({ status: "complete" });
    expect(outcome.text).toContain('answering "[resultonly] hi"');
  }, 10_000);

  it("completes when the agent exits 0 without a result line", async () => {
    const outcome = await run("[noresult]");
    expect(outcome).toMatchObject({ status: "complete", error: "", metadata: { exit_code: 0 } });
    expect(outcome.text).toContain("echo agent");
  }, 10_000);
});

describe("runAgent failures", () => {
  it("fails with the result text on an error result", async () => {
    const outcome = await run("[fail]");
    expect(outcome).toMatchObject({ status: "failed", error: "echo-agent: simulated failure (the model refused)" });
    expect(outcome.metadata.exit_code).toBe(0);
  }, 10_000);

  it("fails with the exit code and the stderr tail on a non-zero exit", async () => {
    const outcome = await run("[exit3]");
    expect(outcome).toMatchObject({
      status: "failed",
      error: "agent exited with code 3: echo-agent: simulated crash\nsomething went wrong in the echo agent",
      metadata: { exit_code: 3 },
    });
  }, 10_000);

  it("keeps only the tail of a long stderr", async () => {
    const outcome = await run("[exit3]", { maxStderrBytes: 20 });
    expect(outcome.error).toBe("agent exited with code 3: …g in the echo agent");
  }, 10_000);

  it("says how to fix a missing agent command", async () => {
    const outcome = await run("hi", { command: ["claude-comms-no-such-agent"] });
    expect(outcome).toMatchObject({ status: "failed", text: "", pid: undefined });
    expect(outcome.error).toBe('agent command "claude-comms-no-such-agent" not found: install Claude Code, '
      + "or set the daemon's --agent-command (CLAUDE_COMMS_AGENT_COMMAND) or the module's agent command");
  }, 10_000);

  it("defaults to claude, and reports it missing from the PATH", async () => {
    const outcome = await run("hi", { command: undefined, env: { PATH: temp.dir } });
    expect(outcome.error).toMatch(/^agent command "claude" not found: install Claude Code/);
  }, 10_000);

  it("blames a missing working directory, not the command", async () => {
    const outcome = await run("hi", { cwd: join(temp.dir, "gone") });
    expect(outcome).toMatchObject({ status: "failed" });
    expect(outcome.error).toMatch(/^agent working directory ".*gone" does not exist/);
  }, 10_000);

  it("reports a command that is not executable", async () => {
    const script = join(temp.dir, "not-executable");
    writeFileSync(script, "#!/bin/sh\n", { mode: 0o644 });
    const outcome = await run("hi", { command: [script] });
    expect(outcome.error).toBe(`agent command ${JSON.stringify(script)} is not executable (permission denied)`);
  }, 10_000);

  it("rejects an empty command", async () => {
    expect(await run("hi", { command: [] })).toMatchObject({ status: "failed", error: "agent command is empty" });
  });

  it("kills the agent and fails when onText rejects", async () => {
    const outcome = await run("[hang]", { onText: async () => Promise.reject(new Error("store is gone")) });
    expect(outcome).toMatchObject({ status: "failed", error: "could not deliver the agent's output: store is gone", text: "" });
    const [pid, child] = await hangPids();
    await waitFor(() => !isAlive(pid) && !isAlive(child), 3000, "the agent to be gone");
  }, 10_000);

  it("kills the agent and fails when onStart throws", async () => {
    const outcome = await run("[hang]", { onStart: () => { throw new Error("no row"); } });
    expect(outcome).toMatchObject({ status: "failed", error: "could not record the agent's start: no row" });
    // Killed before it could start its grandchild (or even write its pid file).
    expect(outcome.pid).toBeGreaterThan(0);
    expect(isAlive(outcome.pid!)).toBe(false);
  }, 10_000);
});

describe("runAgent deadline and cancel", () => {
  it("times out, kills the whole group, and keeps the text so far", async () => {
    const started = performance.now();
    const outcome = await run("[hang]", { timeoutMs: 400, graceMs: 3000 });
    const [pid, child] = await hangPids();
    expect(outcome).toMatchObject({ status: "timed_out", error: "agent did not finish within 400ms" });
    expect(outcome.text).toMatch(/^This is the echo agent/);
    expect(performance.now() - started).toBeLessThan(2500);
    expect(isAlive(pid)).toBe(false);
    await waitFor(() => !isAlive(child), 2000, "the grandchild to be gone");
  }, 10_000);

  it("SIGKILLs a group that ignores SIGTERM after the grace", async () => {
    const started = performance.now();
    const outcome = await run("[hang][stubborn]", { timeoutMs: 300, graceMs: 400 });
    const [pid, child] = await hangPids();
    expect(outcome).toMatchObject({ status: "timed_out", metadata: { signal: "SIGKILL" } });
    expect(performance.now() - started).toBeGreaterThanOrEqual(650);
    expect(isAlive(pid)).toBe(false);
    await waitFor(() => !isAlive(child), 2000, "the grandchild to be gone");
  }, 10_000);

  it("cancels on abort with the reason, killing the group", async () => {
    const controller = new AbortController();
    const outcome = await run("[hang][stubborn]", {
      signal: controller.signal,
      graceMs: 200,
      onText: async () => controller.abort("cancelled by the user"),
    });
    const [pid, child] = await hangPids();
    expect(outcome).toMatchObject({ status: "cancelled", error: "cancelled by the user" });
    expect(isAlive(pid)).toBe(false);
    await waitFor(() => !isAlive(child), 2000, "the grandchild to be gone");
  }, 10_000);

  it("says 'cancelled' when the abort has no string reason", async () => {
    const controller = new AbortController();
    const outcome = await run("[hang]", { signal: controller.signal, onText: async () => controller.abort() });
    await hangPids();
    expect(outcome).toMatchObject({ status: "cancelled", error: "cancelled" });
  }, 10_000);

  it("does not start when the signal is already aborted", async () => {
    const outcome = await run("hi", { signal: AbortSignal.abort("too late") });
    expect(outcome).toMatchObject({ status: "cancelled", error: "too late" });
    expect(outcome.pid).toBeUndefined();
    expect(existsSync(pidFile)).toBe(false);
  });

  it("completes, after the grace, when a leftover child holds stdout open past the exit", async () => {
    const started = performance.now();
    const outcome = await run("[orphan]", { graceMs: 500, timeoutMs: 8000 });
    const child = await readPid(`${pidFile}.child`);
    spawned.push(child);
    expect(outcome).toMatchObject({ status: "complete", metadata: { exit_code: 0 } });
    expect(outcome.text).toContain("[orphan]");
    expect(performance.now() - started).toBeLessThan(4000);
    await waitFor(() => !isAlive(child), 2000, "the leftover child to be gone");
  }, 10_000);

  it("completes normally when the deadline is not reached", async () => {
    expect(await run("quick", { timeoutMs: 10_000 })).toMatchObject({ status: "complete" });
  }, 15_000);
});

describe("agentArgs and agentEnv", () => {
  it("builds the Claude Code argument vector, the question never among it", () => {
    const base = ["-p", "--output-format", "stream-json", "--verbose", "--include-partial-messages"];
    expect(agentArgs()).toEqual(base);
    expect(agentArgs({ systemPrompt: "s", resumeSessionId: "sid" })).toEqual([...base, "--resume", "sid", "--system-prompt", "s"]);
    expect(agentArgs({
      settings: { model: "sonnet", permissionMode: "plan", maxTurns: 3, appendSystemPrompt: "be brief", allowedTools: ["Read", "Bash(git:*)"], disallowedTools: ["Write"] },
    })).toEqual([
      ...base, "--append-system-prompt", "be brief", "--model", "sonnet", "--permission-mode", "plan", "--max-turns", "3",
      "--allowedTools", "Read", "Bash(git:*)", "--disallowedTools", "Write",
    ]);
  });

  it("drops CLAUDECODE so a nested-session guard does not refuse to start", () => {
    expect(agentEnv({ CLAUDECODE: "1", PATH: "/bin" })).toEqual({ PATH: "/bin" });
  });
});

describe("examples/echo-agent.mjs", () => {
  it("works as an agent command", async () => {
    const example = fileURLToPath(new URL("../examples/echo-agent.mjs", import.meta.url));
    const outcome = await run("[echo] hello from the example", { command: [process.execPath, example] });
    expect(outcome).toMatchObject({ status: "complete", text: "[echo] hello from the example" });
  }, 10_000);
});
