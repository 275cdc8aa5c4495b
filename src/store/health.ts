import { StoreFullError, StoreReadOnlyError, StoreUnreachableError } from "./errors.js";

/**
 * Whether the store takes writes, as the last write showed. A full disk or a read-only file
 * (or, on PostgreSQL, an unreachable server) makes it unhealthy; the next successful write (a real one or a probe) makes it healthy
 * again. A busy store is not unhealthy: that is another writer, and it passes.
 */
export class StoreHealth {
  serving = true;
  reason = "";
  private readonly listeners = new Set<() => void>();

  /** Records the outcome of a write: undefined for success, else the error. */
  record(err?: unknown): void {
    if (err !== undefined && !(err instanceof StoreFullError || err instanceof StoreReadOnlyError || err instanceof StoreUnreachableError)) return;
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
