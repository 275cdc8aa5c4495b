import path from "node:path";
import { tempDir } from "./cleanup.js";
import { startDaemon, type BenchDaemon } from "./daemon.js";
import { seedStore, type SeedOptions } from "./seed.js";
import { startWorker, type WorkerHandle } from "./worker.js";

/** A daemon on a fresh home, its store seeded first. */
export async function seededDaemon(seed: SeedOptions, args: string[] = []): Promise<BenchDaemon> {
  const home = tempDir();
  await seedStore(path.join(home, "comms.db"), seed);
  return startDaemon(home, args);
}

/** The bare Connect-Node server (see lib/bare-server.ts) on a socket in a fresh temp dir. */
export interface BareServer {
  pid: number;
  socket: string;
  worker: WorkerHandle;
}

/** Starts the bare server and waits for it to listen. */
export async function startBareServer(options: { showResponseFile?: string; withInterceptor?: boolean } = {}): Promise<BareServer> {
  const socket = path.join(tempDir(), "bare.sock");
  const worker = startWorker("lib/bare-server.js", { socket, ...options });
  const ready = await worker.next<{ type: string; pid: number }>("ready", 30_000);
  return { pid: ready.pid, socket, worker };
}
