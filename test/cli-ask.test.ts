import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAlive } from "./fixtures/agent-kit.js";

// The compiled CLI (`npm test` builds before vitest runs) and the stand-in agent.
const CLI = fileURLToPath(new URL("../dist/src/cli/bundle/main.js", import.meta.url));
const FAKE_AGENT = fileURLToPath(new URL("./fixtures/fake-agent.mjs", import.meta.url));

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `claude-comms ARGS` with `$CLAUDE_COMMS_HOME=home`, killed after `timeoutMs`. */
function cli(home: string, args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 20_000): Promise<CliResult> {
  return startCli(home, args, env, timeoutMs).done;
}

/** Starts `claude-comms ARGS`; `stderr()` shows what it wrote so far. */
function startCli(home: string, args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 20_000) {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, CLAUDE_COMMS_HOME: home, CLAUDE_COMMS_ADDRESS: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const done = new Promise<CliResult>((resolve) =>
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
  return { done, stderr: () => stderr };
}

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function jsonLines(stdout: string): Record<string, any>[] {
  return stdout.trim().split("\n").filter(Boolean).map((line) => JSON.parse(line));
}

/** The `name value` lines `ask` prints, as an object. */
function fields(text: string): Record<string, string> {
  return Object.fromEntries(text.trim().split("\n").map((line) => line.split(/\s+/, 2) as [string, string]));
}

describe("claude-comms module and ask", () => {
  let home: string;
  let moduleDir: string;
  let pid: number | undefined;

  beforeAll(async () => {
    // Short: the daemon's Unix socket path must stay under ~100 bytes.
    home = fs.mkdtempSync(path.join(os.tmpdir(), "cc-ask-"));
    moduleDir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "cc-mod-")));
    // The daemon passes its environment on to the agents it runs: chunks 40 ms apart.
    const started = await cli(home, ["--json", "poll", "start", "--interval", "0.1"], { FAKE_AGENT_DELAY_MS: "40" });
    expect(started).toMatchObject({ code: 0, stderr: "" });
    pid = jsonLines(started.stdout)[0]!.pid;
    const added = await cli(home, ["module", "add", "fake", "--dir", moduleDir, "--agent-command", `${process.execPath} ${FAKE_AGENT}`]);
    expect(added).toMatchObject({ code: 0, stdout: `registered module fake (${moduleDir})\n` });
  }, 30_000);

  afterAll(async () => {
    if (pid !== undefined && isAlive(pid)) {
      await cli(home, ["poll", "stop"]);
      if (isAlive(pid)) process.kill(pid, "SIGKILL");
    }
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(moduleDir, { recursive: true, force: true });
  }, 20_000);

  it("lists, updates and removes modules", async () => {
    const again = await cli(home, ["module", "add", "other", "--dir", ".", "--system-prompt", "be brief"]);
    expect(again.stdout).toBe(`registered module other (${process.cwd()})\n`);
    const updated = await cli(home, ["module", "add", "other", "--dir", "."]);
    expect(updated.stdout).toMatch(/^updated module other/);
    const list = await cli(home, ["--json", "module", "list"]);
    const modules = jsonLines(list.stdout)[0]!.modules as { name: string; agentCommand: string[] }[];
    expect(modules.map((m) => m.name)).toEqual(["fake", "other"]);
    expect(modules[0]!.agentCommand).toEqual([process.execPath, FAKE_AGENT]);
    const table = await cli(home, ["module", "list"]);
    expect(table.stdout).toMatch(/^NAME\s+DIRECTORY\s+AGENT COMMAND\s+SYSTEM PROMPT\s+UPDATED$/m);
    expect(await cli(home, ["module", "remove", "other"])).toMatchObject({ code: 0, stdout: "removed module other\n" });
    expect((await cli(home, ["module", "remove", "other"])).code).toBe(4);
  });

  it("asks and prints the ids; the answer can be waited for and read in the thread", async () => {
    const asked = await cli(home, ["ask", "--from", "marker", "--to", "fake", "What", "is", "the", "schema?"]);
    expect(asked).toMatchObject({ code: 0, stderr: "" });
    const ids = fields(asked.stdout);
    expect(Object.keys(ids)).toEqual(["thread", "question", "response"]);
    expect(await cli(home, ["poll", "wait", ids.response!])).toMatchObject({ code: 0, stdout: "complete\n" });
    const thread = await cli(home, ["thread", "show", ids.thread!]);
    expect(thread.stdout).toContain("── marker · question · complete");
    expect(thread.stdout).toContain("What is the schema?");
    expect(thread.stdout).toContain('This is the echo agent answering "What is the schema?"');
  });

  it("streams the answer to stdout with --wait and exits 0 when it completes", async () => {
    const asked = await cli(home, ["ask", "--from", "marker", "--to", "fake", "--wait", "[unicode] hello"]);
    expect(asked.code).toBe(0);
    expect(asked.stdout).toBe("Réponse: 你好，世界! Grüße aus Köln 🚀🎉👩‍💻 — ça marche, naïve café, 日本語のテキスト。\n");
    expect(Object.keys(fields(asked.stderr))).toEqual(["thread", "question", "response"]);
  });

  it("prints the ask response and the final message as JSON with --json --wait", async () => {
    const asked = await cli(home, ["--json", "ask", "--from", "marker", "--to", "fake", "--wait", "[echo] say it back"]);
    expect(asked.code).toBe(0);
    const [ids, message] = jsonLines(asked.stdout);
    expect(ids).toMatchObject({ threadId: expect.any(String), responseMessageId: expect.any(String) });
    expect(message).toMatchObject({ messageId: ids!.responseMessageId, status: "MESSAGE_STATUS_COMPLETE", content: "[echo] say it back" });
  });

  it("exits 10 with the agent's error when the answer fails", async () => {
    const asked = await cli(home, ["ask", "--from", "marker", "--to", "fake", "--wait", "[fail] please"]);
    expect(asked.code).toBe(10);
    expect(asked.stderr).toMatch(/\nclaude-comms: response \S+ failed: [^\n]+\n$/);
  });

  it("exits 11 when the agent runs past --timeout", async () => {
    const asked = await cli(home, ["ask", "--from", "marker", "--to", "fake", "--timeout", "1s", "--wait", "[hang] forever"]);
    expect(asked.code).toBe(11);
    expect(asked.stderr).toMatch(/\nclaude-comms: response \S+ timed_out/);
  });

  it("exits 12 when the response is cancelled while it streams", async () => {
    const asking = startCli(home, ["ask", "--from", "marker", "--to", "fake", "--wait", "[hang] stay"]);
    await until(() => /^response\s+\S+$/m.test(asking.stderr()));
    const responseId = fields(asking.stderr()).response!;
    expect(await cli(home, ["cancel", responseId, "--reason", "gave up"])).toMatchObject({ code: 0 });
    const result = await asking.done;
    expect(result.code).toBe(12);
    expect(result.stdout).toMatch(/^This is the echo agent answering/);
    expect(result.stderr).toMatch(new RegExp(`\nclaude-comms: response ${responseId} cancelled: gave up\n$`));
  });

  it("exits 4 when the target module is not registered", async () => {
    const asked = await cli(home, ["ask", "--from", "marker", "--to", "nobody", "hello?"]);
    expect(asked.code).toBe(4);
    expect(asked.stderr).toMatch(/^claude-comms: .*nobody.*\n$/);
  });
});
