import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { storeArgsFor } from "./test-store.js";

/** The compiled daemon entry point (built by `npm test` before vitest runs). */
export const DAEMON_MAIN = fileURLToPath(new URL("../../dist/src/daemon/main.js", import.meta.url));
/** The compiled CLI entry point. */
export const CLI_MAIN = fileURLToPath(new URL("../../dist/src/cli/bundle/main.js", import.meta.url));

/** A daemon running as a child process. */
export interface DaemonProcess {
  child: ChildProcess;
  pid: number;
  socket: string;
  listen: string[];
  /** Everything the daemon wrote to stderr so far. */
  stderr(): string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>;
  /** SIGTERM and wait for exit. */
  stop(): Promise<number | string>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<number | string>;
}

const running = new Set<ChildProcess>();

/** Kills every daemon this test file started and that is still running (a failed test's). */
export function killLeftoverDaemons(): void {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  running.clear();
}

/** Starts `node dist/src/daemon/main.js --home HOME …args` and waits for its ready line. */
export async function startDaemonProcess(home: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<DaemonProcess> {
  const store = args.includes("--store") ? [] : await storeArgsFor(home);
  const child = spawn(
    process.execPath,
    [DAEMON_MAIN, "--home", home, "--log-file", path.join(home, "daemon.log"), ...store, ...args],
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } },
  );
  running.add(child);
  child.once("exit", () => running.delete(child));
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise<number | string>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? signal ?? -1)),
  );
  const ready = await new Promise<{ pid: number; listen: string[] }>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`daemon not ready in 15 s: ${stderr}`)), 15_000);
    child.stdout!.on("data", (chunk) => {
      out += chunk;
      const line = out.split("\n")[0];
      if (out.includes("\n") && line) {
        clearTimeout(timer);
        resolve(JSON.parse(line));
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`daemon exited (${code}) before ready: ${stderr}`));
    });
  });
  const signalAndWait = (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  return {
    child,
    pid: ready.pid,
    socket: path.join(home, "daemon.sock"),
    listen: ready.listen,
    stderr: () => stderr,
    exited,
    stop: () => signalAndWait("SIGTERM"),
    kill: () => signalAndWait("SIGKILL"),
  };
}

/** True when a file exists. */
export function exists(file: string): boolean {
  return fs.existsSync(file);
}
