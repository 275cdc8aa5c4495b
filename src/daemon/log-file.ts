import fs from "node:fs";
import { makePrivate } from "../common/private-file.js";

/** When a log file is rotated, and how many old ones are kept. */
export interface LogRotation {
  /** Rotate once the file reaches this many bytes (0: never). */
  maxBytes: number;
  /** Old files kept: `daemon.log.1` (newest) … `daemon.log.N`; 0 keeps none. */
  keep: number;
}

/** Where log lines go: stderr, or a file rotated at a size cap. */
export interface LogSink {
  write(text: string): void;
  close(): void;
}

/**
 * Opens a log sink: "-" is stderr; anything else a file appended to (0600), rotated when it
 * reaches `rotation.maxBytes` (renamed to `.1`, older ones shifted, the oldest dropped). A
 * special file (/dev/null, a FIFO) is never rotated. A failing write never throws.
 */
export function openLogSink(target: string, rotation: LogRotation): LogSink {
  if (target === "-") return { write: (text) => tryWrite(2, text), close: () => undefined };
  let fd = openPrivate(target);
  const stat = fs.fstatSync(fd);
  const rotates = stat.isFile() && rotation.maxBytes > 0;
  let size = stat.size;
  return {
    write(text) {
      size += tryWrite(fd, text);
      if (!rotates || size < rotation.maxBytes) return;
      fs.closeSync(fd);
      rotate(target, rotation.keep);
      fd = openPrivate(target);
      size = 0;
    },
    close: () => fs.closeSync(fd),
  };
}

function openPrivate(file: string): number {
  makePrivate(file);
  return fs.openSync(file, "a", 0o600);
}

// Shifts file.1 … file.(keep-1) up by one and moves the file to file.1; keep 0 drops it.
function rotate(file: string, keep: number): void {
  try {
    if (keep === 0) return fs.rmSync(file, { force: true });
    for (let i = keep - 1; i >= 1; i--) renameIfThere(`${file}.${i}`, `${file}.${i + 1}`);
    renameIfThere(file, `${file}.1`);
  } catch {
    // A log that cannot rotate keeps growing rather than taking the daemon down.
  }
}

function renameIfThere(from: string, to: string): void {
  try {
    fs.renameSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
}

// Returns the bytes written (0 when the write failed: nowhere left to report it).
function tryWrite(fd: number, text: string): number {
  try {
    return fs.writeSync(fd, text);
  } catch {
    return 0;
  }
}
