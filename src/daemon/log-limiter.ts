/** How often the same warning or error is written at most, and when repeats are summed up. */
export const REPEAT_WINDOW_MS = 60_000;
// Distinct messages tracked at once; past it, the summaries are written and tracking restarts.
const MAX_KEYS = 1000;

interface Window {
  start: number;
  suppressed: number;
  level: string;
  msg: string;
}

/**
 * Rate-limits repeated identical log lines (same level, message and error text): the first in
 * each window is written, the rest counted, and one summary line per window says how many
 * were left out. A flood of one failure costs a line a minute instead of a line each.
 */
export class RepeatLimiter {
  private readonly windows = new Map<string, Window>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly summarize: (level: string, msg: string, repeated: number) => void,
    private readonly windowMs = REPEAT_WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {
    this.timer = setInterval(() => this.flush(false), windowMs);
    this.timer.unref();
  }

  /** True when this line should be written; false when it repeats one written this window. */
  admit(level: string, msg: string, detail: string): boolean {
    const key = `${level}\u0000${msg}\u0000${detail}`;
    const open = this.windows.get(key);
    if (open && this.now() - open.start < this.windowMs) {
      open.suppressed++;
      return false;
    }
    if (open) this.end(key, open);
    if (this.windows.size >= MAX_KEYS) this.flush(true);
    this.windows.set(key, { start: this.now(), suppressed: 0, level, msg });
    return true;
  }

  /** Writes the summaries of every window (all, or only the ended ones) and forgets them. */
  flush(all: boolean): void {
    for (const [key, window] of this.windows) {
      if (all || this.now() - window.start >= this.windowMs) this.end(key, window);
    }
  }

  /** Writes what is left and stops the timer. */
  close(): void {
    clearInterval(this.timer);
    this.flush(true);
  }

  private end(key: string, window: Window): void {
    this.windows.delete(key);
    if (window.suppressed > 0) this.summarize(window.level, window.msg, window.suppressed);
  }
}
