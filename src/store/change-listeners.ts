/**
 * The listeners a store calls after each of its own committed writes (and, on PostgreSQL,
 * when another daemon commits). A throwing listener is isolated: the write it follows has
 * committed, so its caller must still see success, and the other listeners still run.
 */
export class ChangeListeners {
  private readonly listeners = new Set<() => void>();

  /** Adds `listener`; returns the function that removes it. */
  add(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Calls every listener once, synchronously. */
  readonly emit = (): void => {
    for (const listener of this.listeners) {
      try {
        listener();
      } catch {
        // A listener's failure is its own (the poller's wake never throws); the write stands.
      }
    }
  };
}
