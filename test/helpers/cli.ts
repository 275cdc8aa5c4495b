import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { isAlive } from "../fixtures/agent-kit.js";

/*
 * The CLI run as a user runs it: the compiled bundle, a home of its own
 * ($CLAUDE_COMMS_HOME), and a daemon started through `claude-comms poll start`.
 */

// The compiled CLI (`npm test` builds before vitest runs), run as a user runs it.
const CLI = fileURLToPath(new URL("../../dist/src/cli/bundle/main.js", import.meta.url));

/** How to run the CLI: stdin to feed it, a kill timeout (default 15 s), extra environment. */
export interface CliOptions {
  stdin?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** How a CLI run ended. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A CLI run in the background. */
export interface Running {
  /** Resolves once the CLI has exited. */
  done: Promise<CliResult>;
  /** Everything written to stdout so far. */
  stdout(): string;
}

/** Starts `claude-comms ARGS` with `$CLAUDE_COMMS_HOME=home`; kills it after `timeoutMs`. */
export function startCli(home: string, args: string[], options: CliOptions = {}): Running {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, CLAUDE_COMMS_HOME: home, CLAUDE_COMMS_ADDRESS: "", ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  child.stdin.end(options.stdin ?? "");
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 15_000);
  const done = new Promise<CliResult>((resolve) =>
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
  return { done, stdout: () => stdout };
}

/** Runs `claude-comms ARGS` to its end. */
export function cli(home: string, args: string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(home, args, options).done;
}

/** Parses stdout as JSON lines. */
export function jsonLines(stdout: string): Record<string, any>[] {
  return stdout.trim().split("\n").filter(Boolean).map((line) => JSON.parse(line));
}

/** Resolves once `check` holds, polling every 20 ms; rejects after `timeoutMs` (default 15 s). */
export async function until(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A fresh home directory for one test file. */
export function makeHome(): string {
  // Short: the daemon's Unix socket path must stay under ~100 bytes.
  return fs.mkdtempSync(path.join(os.tmpdir(), "cc-cli-"));
}

/** A daemon started through `claude-comms poll start`, and how to make sure it is gone. */
export async function startDaemon(home: string): Promise<{ pid: number; ready: Record<string, any> }> {
  const started = await cli(home, ["--json", "poll", "start", "--interval", "0.2", "--heartbeat", "1s"], { timeoutMs: 20_000 });
  expect(started.stderr).toBe("");
  expect(started.code).toBe(0);
  const [ready] = jsonLines(started.stdout);
  return { pid: ready!.pid as number, ready: ready! };
}

/** Stops the daemon of `home` (SIGKILL if it does not go) and removes the home. */
export async function stopDaemon(home: string, pid: number | undefined): Promise<void> {
  if (pid !== undefined && isAlive(pid)) {
    await cli(home, ["poll", "stop"]);
    if (isAlive(pid)) process.kill(pid, "SIGKILL");
  }
  fs.rmSync(home, { recursive: true, force: true });
}

