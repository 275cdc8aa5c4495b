import { StoreFullError, StoreIoError, StoreReadOnlyError, StoreUnreachableError } from "./errors.js";

/**
 * Whether the store takes writes, as the last write showed. A full disk, a read-only file, a disk I/O failure
 * (or, on PostgreSQL, an unreachable server) makes it unhealthy; the next successful write (a real one or a probe) makes it healthy
 * again. A busy store is not unhealthy: that is another writer, and it passes.
 */
export class StoreHealth {
  serving = true;
  reason = "";
  private readonly listeners = new Set<() => void>();

  /** Records the outcome of a write: undefined for success, else the error. */
  record(err?: unknown): void {
    const unhealthy = [StoreFullError, StoreReadOnlyError, StoreUnreachableError, StoreIoError].some((type) => err instanceof type);
    if (err !== undefined && !unhealthy) return;
    const serving = err === undefined;
    const reason = err === undefined ? "" : (err as Error).message;
    if (serving === this.serving && reason === this.reason) return;
    this.serving = serving;
    this.reason = reason;
    for (const listener of [...this.listeners]) listener();
  }

  /** Calls `listener` after each change; returns the function that stops it. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
