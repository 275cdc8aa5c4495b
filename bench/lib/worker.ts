import { fork, type ChildProcess } from "node:child_process";
import { stopChild, track, withTimeout } from "./cleanup.js";
import { benchScript } from "./paths.js";

/** A message between the orchestrator and a worker process. */
export interface WorkerMessage {
  type: string;
  [key: string]: unknown;
}

/** The orchestrator's handle on a worker process (a client kept out of the server's process). */
export interface WorkerHandle {
  child: ChildProcess;
  /** Waits (bounded) for the next message of `type`; rejects if the worker fails or exits. */
  next<T extends WorkerMessage>(type: string, timeoutMs: number): Promise<T>;
  send(message: WorkerMessage): void;
  stop(): Promise<void>;
}

/**
 * Forks `dist/bench/<script>` with `args` (JSON in argv[2]). The worker answers with
 * process.send; a `{ type: "error" }` message or an exit fails every pending wait.
 */
export function startWorker(script: string, args: unknown): WorkerHandle {
  const child = track(fork(benchScript(script), [JSON.stringify(args)], { stdio: ["ignore", "inherit", "inherit", "ipc"] }));
  const inbox: WorkerMessage[] = [];
  const waiters: Array<() => void> = [];
  let failure: Error | undefined;
  const notify = () => waiters.splice(0).forEach((w) => w());
  child.on("message", (m: WorkerMessage) => {
    if (m.type === "error") failure = new Error(`worker ${script}: ${String(m.message)}`);
    inbox.push(m);
    notify();
  });
  child.once("exit", (code, signal) => {
    failure ??= new Error(`worker ${script} exited (${code ?? signal})`);
    notify();
  });
  const take = async <T>(type: string): Promise<T> => {
    for (;;) {
      const i = inbox.findIndex((m) => m.type === type);
      if (i >= 0) return inbox.splice(i, 1)[0] as T;
      if (failure) throw failure;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  return {
    child,
    next: (type, timeoutMs) => withTimeout(take(type), timeoutMs, `worker ${script} waiting for "${type}"`),
    send: (message) => void child.send(message),
    stop: () => stopChild(child, "SIGTERM", 3000),
  };
}

/** Inside a worker: its arguments. */
export function workerArgs<T>(): T {
  return JSON.parse(process.argv[2] ?? "{}") as T;
}

/** Inside a worker: sends a message to the orchestrator; resolves once it is handed over. */
export function reply(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, undefined, () => resolve());
  });
}

/** Inside a worker: resolves with the next orchestrator message of `type`. */
export function command<T extends WorkerMessage>(type: string): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (m: WorkerMessage) => {
      if (m.type !== type) return;
      process.off("message", onMessage);
      resolve(m as T);
    };
    process.on("message", onMessage);
  });
}

/** Inside a worker: runs `main`, reporting a failure to the orchestrator, then exits. */
export function runWorker(main: () => Promise<void>): void {
  // The orchestrator going away (it was killed) must not leave the worker behind.
  process.on("disconnect", () => process.exit(0));
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
      void reply({ type: "error", message }).finally(() => process.exit(1));
    },
  );
}
