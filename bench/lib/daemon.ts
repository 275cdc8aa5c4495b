import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { stopChild, track, withTimeout } from "./cleanup.js";
import { DAEMON_MAIN } from "./paths.js";

/** A daemon process started for a benchmark. */
export interface BenchDaemon {
  child: ChildProcess;
  pid: number;
  home: string;
  socket: string;
  database: string;
  /** performance.now() just before the spawn. */
  spawnedAt: number;
  /** Milliseconds from spawn to the ready line. */
  readyMs: number;
  stop(): Promise<void>;
}

/**
 * Starts `node dist/src/daemon/main.js --home HOME …args` and waits (bounded) for its ready
 * line. For profiling and A/B runs: BENCH_DAEMON_NODE_ARGS adds node flags (e.g.
 * "--cpu-prof --cpu-prof-dir=/tmp/prof"), BENCH_DAEMON_MAIN runs another build's main.js.
 */
export async function startDaemon(home: string, args: string[] = [], timeoutMs = 30_000): Promise<BenchDaemon> {
  const nodeArgs = (process.env.BENCH_DAEMON_NODE_ARGS ?? "").split(/\s+/).filter(Boolean);
  const started = performance.now();
  const child = track(
    spawn(process.execPath, [...nodeArgs, process.env.BENCH_DAEMON_MAIN || DAEMON_MAIN, "--home", home, "--log-file", path.join(home, "daemon.log"), ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    }),
  );
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  const ready = new Promise<{ pid: number }>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk) => {
      out += chunk;
      const nl = out.indexOf("\n");
      if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)));
    });
    child.once("exit", (code) => reject(new Error(`daemon exited (${code}) before ready: ${stderr}`)));
  });
  try {
    const { pid } = await withTimeout(ready, timeoutMs, "daemon start");
    const readyMs = performance.now() - started;
    return {
      child,
      pid,
      home,
      socket: path.join(home, "daemon.sock"),
      database: path.join(home, "comms.db"),
      spawnedAt: started,
      readyMs,
      stop: () => stopChild(child, "SIGTERM", 10_000),
    };
  } catch (err) {
    await stopChild(child, "SIGKILL");
    throw err;
  }
}

/** Resident set size and its peak of a process, in MiB, from /proc. */
export function memoryOf(pid: number): { rssMiB: number; hwmMiB: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { rssMiB: kb("VmRSS") / 1024, hwmMiB: kb("VmHWM") / 1024 };
}
