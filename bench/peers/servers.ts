import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { sleep, stopChild, tempDir, track, withTimeout } from "../lib/cleanup.js";
import { DAEMON_MAIN } from "../lib/paths.js";
import { seedStore } from "../lib/seed.js";

/*
 * The three systems of the peer benchmarks, each one server process on loopback TCP with a
 * data directory in a fresh temp folder: claude-comms (its daemon, SQLite in WAL), etcd
 * (Debian's etcd-server, its default durability: fsync on every commit) and Redis
 * (Debian's redis-server, appendonly with appendfsync everysec). etcd and Redis are
 * installed with apt-get when missing and this process may (root).
 */

/** A peer system's name. */
export type System = "claude-comms" | "etcd" | "redis";

/** A running server of one system. */
export interface PeerServer {
  system: System;
  pid: number;
  /** host:port on loopback. */
  address: string;
  /** Bearer token (claude-comms). */
  token?: string;
  /** What it promises about durability, for the report. */
  durability: string;
  stop(): Promise<void>;
}

/** How the claude-comms daemon is started. */
export interface CommsOptions {
  /** Messages seeded (ids from lib/seed's messageId), all monitored. */
  messages: number;
  synchronous?: "normal" | "full";
  /** Extra daemon flags (e.g. a heartbeat). */
  args?: string[];
}

/** A free TCP port on 127.0.0.1 (closed again before it is returned). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.once("error", reject);
  });
}

/** Installs the Debian packages whose programs are missing (as root only); false if it could not. */
export function ensurePrograms(programs: Record<string, string>): string[] {
  const missing = Object.entries(programs).filter(([program]) => !onPath(program));
  if (!missing.length) return [];
  if (process.getuid?.() === 0) {
    try {
      execFileSync("apt-get", ["update", "-qq"], { stdio: "ignore", timeout: 180_000 });
      execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing.map(([, pkg]) => pkg)], {
        stdio: "ignore",
        timeout: 300_000,
        env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
      });
    } catch {
      // reported below as still missing
    }
  }
  return missing.filter(([program]) => !onPath(program)).map(([program, pkg]) => `${program} (Debian package ${pkg})`);
}

function onPath(program: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${program}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Starts the claude-comms daemon on a seeded store, listening on loopback TCP with a token. */
export async function startComms(options: CommsOptions): Promise<PeerServer> {
  const home = tempDir();
  await seedStore(path.join(home, "comms.db"), { messages: options.messages, monitored: options.messages, deadlineSeconds: null });
  const port = await freePort();
  const token = randomBytes(24).toString("base64url");
  const sync = options.synchronous ?? "normal";
  // As bench/lib/daemon.ts: BENCH_DAEMON_NODE_ARGS (profiling) and BENCH_DAEMON_MAIN (another build);
  // BENCH_PEER_DAEMON_ARGS adds daemon flags for A/B runs (e.g. "--heartbeat 60s").
  const nodeArgs = (process.env.BENCH_DAEMON_NODE_ARGS ?? "").split(/\s+/).filter(Boolean);
  const extra = (process.env.BENCH_PEER_DAEMON_ARGS ?? "").split(/\s+/).filter(Boolean);
  const args = [...nodeArgs, process.env.BENCH_DAEMON_MAIN || DAEMON_MAIN, "--home", home, "--log-file", path.join(home, "daemon.log"), "--listen", `127.0.0.1:${port}`];
  args.push("--synchronous", sync, "--interval", "1", "--max-watchers", "50000", ...(options.args ?? []), ...extra);
  const child = track(spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, CLAUDE_COMMS_TOKEN: token } }));
  await waitForLine(child, (line) => line.startsWith("{"), "claude-comms daemon");
  return {
    system: "claude-comms",
    pid: child.pid!,
    address: `127.0.0.1:${port}`,
    token,
    durability: `SQLite WAL, synchronous=${sync}`,
    stop: () => stopChild(child, "SIGTERM", 10_000),
  };
}

/** Starts a single-member etcd with its default durability (fsync on every commit). */
export async function startEtcd(): Promise<PeerServer> {
  const dir = tempDir();
  const [client, peer] = [await freePort(), await freePort()];
  const clientUrl = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  const child = track(
    spawn("etcd", [
      "--name", "bench", "--data-dir", path.join(dir, "data"),
      "--listen-client-urls", clientUrl, "--advertise-client-urls", clientUrl,
      "--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl,
      "--initial-cluster", `bench=${peerUrl}`, "--logger", "zap", "--log-level", "error",
    ], { stdio: ["ignore", "ignore", "pipe"] }),
  );
  await waitUntil(async () => (await fetch(`${clientUrl}/health`).then((r) => r.json() as Promise<{ health?: string }>).catch(() => ({} as { health?: string }))).health === "true", child, "etcd");
  return {
    system: "etcd",
    pid: child.pid!,
    address: `127.0.0.1:${client}`,
    durability: "default: fsync (WAL) on every commit",
    stop: () => stopChild(child, "SIGTERM", 10_000),
  };
}

/** Starts Redis with the append-only file, fsynced every second. */
export async function startRedis(): Promise<PeerServer> {
  const dir = tempDir();
  const port = await freePort();
  const child = track(
    spawn("redis-server", [
      "--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes",
      "--appendfsync", "everysec", "--save", "", "--maxclients", "15000", "--daemonize", "no",
    ], { stdio: ["ignore", "pipe", "pipe"] }),
  );
  await waitForLine(child, (line) => line.includes("Ready to accept connections"), "redis-server");
  return {
    system: "redis",
    pid: child.pid!,
    address: `127.0.0.1:${port}`,
    durability: "appendonly yes, appendfsync everysec",
    stop: () => stopChild(child, "SIGTERM", 10_000),
  };
}

function waitForLine(child: ChildProcess, match: (line: string) => boolean, what: string): Promise<void> {
  let output = "";
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (output.split("\n").some(match)) resolve();
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk));
    child.once("exit", (code) => reject(new Error(`${what} exited (${code}) before it was ready: ${output.slice(-2000)}`)));
  });
  return withTimeout(ready, 30_000, `${what} start`).catch(async (err) => {
    await stopChild(child, "SIGKILL");
    throw err;
  });
}

async function waitUntil(check: () => Promise<boolean>, child: ChildProcess, what: string): Promise<void> {
  const deadline = performance.now() + 30_000;
  while (!(await check())) {
    if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode}) before it was ready`);
    if (performance.now() > deadline) {
      await stopChild(child, "SIGKILL");
      throw new Error(`${what} start: timed out after 30000 ms`);
    }
    await sleep(50);
  }
}
