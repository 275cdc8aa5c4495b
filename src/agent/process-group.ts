/**
 * Sends a signal to every process of the group led by `pid` (the agent was spawned
 * `detached`, so its pid is its process group id). Returns false when the group is gone.
 * Never throws: a vanished group or a refused signal is not the caller's failure.
 */
export function signalGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch (error) {
    // EPERM: the group exists but none of it is ours to signal (its members changed user).
    return (error as NodeJS.ErrnoException).code === "EPERM" && signal === 0;
  }
}

/** True while any process of the group led by `pid` exists. */
export function groupAlive(pid: number): boolean {
  return signalGroup(pid, 0);
}

/** setTimeout's limit: longer delays overflow and fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Calls `onExpire` once `ms` milliseconds have passed on the monotonic clock
 * (`performance.now()`, unaffected by wall-clock changes), even for delays beyond
 * setTimeout's 24.8-day limit. `onExpire` always runs from a timer, never synchronously.
 * Returns a function that cancels it.
 */
export function startDeadline(ms: number, onExpire: () => void): () => void {
  const end = performance.now() + ms;
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    const left = end - performance.now();
    if (left <= 0) {
      timer = undefined;
      onExpire();
      return;
    }
    timer = setTimeout(arm, Math.min(Math.ceil(left), MAX_TIMER_MS));
  };
  timer = setTimeout(arm, Math.max(0, Math.min(Math.ceil(ms), MAX_TIMER_MS)));
  return () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
}
