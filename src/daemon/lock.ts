import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { isProcessAlive } from "../common/process-alive.js";
import { makePrivate } from "../common/private-file.js";

/** Another daemon holds the home directory. */
export class AlreadyRunningError extends Error {
  constructor(
    readonly pid: number | undefined,
    socket: string,
    where = "",
  ) {
    super(`a daemon is already running${where}${pid ? ` (pid ${pid})` : ""} at ${socket}; stop it with: claude-comms poll stop`);
    this.name = "AlreadyRunningError";
  }
}

// A process killed an instant ago may still be tearing down (its locks go with its last fd):
// wait that long before calling the home taken. A second start on a live daemon waits as much.
const TEARDOWN_WAIT_MS = 500;

// Homes locked by this process: SQLite would refuse a second lock too, but this names the cause.
const heldHere = new Set<string>();

/**
 * Takes the home's lock (one daemon per home), a lock the kernel holds: an exclusive SQLite
 * transaction on `lockPath` (an fcntl lock), left open while the daemon runs. The kernel drops
 * it the moment the process dies, so neither a zombie, nor a pid reused by another program, nor
 * a `kill -9` holds the home. The lock file stays (unlinking a lock file races with a starter
 * that just opened it); `pidPath` says who holds it, for the message a second daemon prints.
 * Returns the function that releases it.
 */
export function acquireLock(lockPath: string, socketPath: string, pidPath: string): () => void {
  const key = path.resolve(lockPath);
  if (heldHere.has(key)) throw new AlreadyRunningError(process.pid, socketPath, " in this process");
  replaceLegacyPidFile(lockPath, socketPath);
  makePrivate(lockPath);
  const db = new Database(lockPath, { timeout: TEARDOWN_WAIT_MS });
  try {
    db.exec("BEGIN EXCLUSIVE");
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code?.startsWith("SQLITE_BUSY")) throw new AlreadyRunningError(readPid(pidPath), socketPath);
    throw new Error(`cannot take the lock ${lockPath}: ${(err as Error).message}`, { cause: err });
  }
  heldHere.add(key);
  writePidFile(pidPath);
  return () => {
    if (!heldHere.delete(key)) return;
    fs.rmSync(pidPath, { force: true });
    db.close(); // ends the transaction, and with it the lock
  };
}

// Earlier versions' lock file held the holder's pid as text: honour one whose process runs (an
// older daemon during an upgrade), replace a stale one with the SQLite lock.
function replaceLegacyPidFile(lockPath: string, socketPath: string): void {
  let head: string;
  try {
    head = fs.readFileSync(lockPath, "latin1").slice(0, 16);
  } catch {
    return;
  }
  if (head === "" || head.startsWith("SQLite format 3")) return;
  const pid = Number.parseInt(head, 10);
  if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isProcessAlive(pid)) throw new AlreadyRunningError(pid, socketPath);
  fs.rmSync(lockPath, { force: true });
}

function writePidFile(pidPath: string): void {
  try {
    fs.rmSync(pidPath, { force: true });
    fs.writeFileSync(pidPath, `${process.pid}\n`, { mode: 0o600, flag: "wx" });
  } catch {
    // Only informational: the lock itself is held.
  }
}

function readPid(pidPath: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(pidPath, "utf8"), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
