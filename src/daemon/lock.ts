import fs from "node:fs";
import { isProcessAlive } from "../shared/process-alive.js";

/** Another daemon holds the home directory. */
export class AlreadyRunningError extends Error {
  constructor(
    readonly pid: number,
    socket: string,
  ) {
    super(`a daemon is already running (pid ${pid}) at ${socket}; stop it with: claude-comms poll stop`);
    this.name = "AlreadyRunningError";
  }
}

/**
 * Takes the home's lock file (one daemon per home). A lock whose process is gone is stale
 * and taken over. Returns the function that releases it.
 */
export function acquireLock(lockPath: string, socketPath: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(lockPath, "wx", 0o600);
      fs.writeSync(fd, `${process.pid}\n`);
      fs.closeSync(fd);
      return () => releaseLock(lockPath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const pid = Number.parseInt(readOr(lockPath, ""), 10);
      if (Number.isInteger(pid) && pid !== process.pid && isProcessAlive(pid)) throw new AlreadyRunningError(pid, socketPath);
      fs.rmSync(lockPath, { force: true });
    }
  }
  throw new Error(`could not take the lock ${lockPath}; remove it if no daemon is running`);
}

function releaseLock(lockPath: string): void {
  if (Number.parseInt(readOr(lockPath, ""), 10) === process.pid) fs.rmSync(lockPath, { force: true });
}

function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return fallback;
  }
}
