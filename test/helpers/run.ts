import { execFile } from "node:child_process";

/** What a finished child process left. */
export interface RunResult {
  /** Exit code; null when killed (then `signal` says by what). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a program to its end and resolves with its exit code and output, whatever the code;
 * it is killed (SIGKILL) after `timeoutMs` (default 30 s). `env` is added to this process's.
 */
export function runProgram(file: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { env: { ...process.env, ...options.env }, timeout: options.timeoutMs ?? 30_000, killSignal: "SIGKILL", cwd: options.cwd, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        const failure = error as (NodeJS.ErrnoException & { code?: number | string; signal?: NodeJS.Signals }) | null;
        const code = failure ? (typeof failure.code === "number" ? failure.code : null) : 0;
        // A program that could not start at all says so in stderr.
        const spawnError = failure && typeof failure.code === "string" ? failure.message : "";
        resolve({ code, signal: failure?.signal ?? null, stdout: String(stdout), stderr: String(stderr) || spawnError });
      },
    );
  });
}
