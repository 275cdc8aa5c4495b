/** The longest pause a slow delivery earns before the next one. */
const MAX_REST_MS = 1000;

/** Options of {@link TextSink}. */
export interface TextSinkOptions {
  /** Receives coalesced text; never called again before the previous call settled. */
  deliver: (text: string) => Promise<void>;
  /** Longest wait between text arriving and its delivery (ms). */
  intervalMs: number;
  /** Deliver at once when this many bytes (UTF-8) are waiting. */
  maxBytes: number;
  /** Awaited before the first delivery (e.g. the caller's onStart); a rejection is a failure. */
  ready?: Promise<void>;
  /** Told once, on the first failure of `ready`, `deliver`, `truncate` or a step. */
  onError: (error: unknown) => void;
  /** Cuts the delivered text back to `kept` (see {@link TextSink.retract}). */
  truncate?: (kept: string) => Promise<void>;
}

/**
 * Coalesces streamed text into few, strictly sequential deliveries: at most one call per
 * interval (so a store is not written per token), sooner when a batch reaches maxBytes.
 * After a failure it stops delivering and drops further text; {@link delivered} is only what
 * the callback accepted.
 *
 * Text is buffered in memory rather than pausing the agent's stdout: an agent's answer is
 * small next to memory, and a paused pipe would hold back the exit and the result line.
 *
 * {@link then} runs other work (recording an agent step) in the same sequence: after the
 * text pushed before it, before the text pushed after it.
 */
export class TextSink {
  private buffer = "";
  private bufferBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private lastStart = Number.NEGATIVE_INFINITY;
  private lastEnd = Number.NEGATIVE_INFINITY;
  private lastDuration = 0;
  private failure: { error: unknown } | undefined;
  private ready: Promise<void>;
  /** Work queued behind text already pushed; runs before the buffer. */
  private readonly ops: Array<() => Promise<void>> = [];
  /** All text the callback has accepted so far. */
  delivered = "";

  /** Creates a sink; nothing is delivered until text is pushed. */
  constructor(private readonly options: TextSinkOptions) {
    this.ready = options.ready ?? Promise.resolve();
    // Observe a rejected `ready` at once, even if no text ever arrives.
    this.ready.catch((error: unknown) => this.fail(error));
  }

  /** The first failure of `ready` or `deliver`, if any. */
  get error(): { error: unknown } | undefined {
    return this.failure;
  }

  /** Queues text; delivery happens on the interval, or now if the batch is large. */
  push(text: string): void {
    if (this.failure || text === "") return;
    this.buffer += text;
    this.bufferBytes += Buffer.byteLength(text);
    this.schedule();
  }

  /** Runs `op` once the text pushed so far was delivered, in order with later text. */
  then(op: () => Promise<void>): void {
    if (this.failure) return;
    this.queueBuffer();
    this.ops.push(op);
    this.schedule();
  }

  /**
   * Takes back `text`, the last text pushed (an abandoned stream): from the buffer if it is
   * still there, else by cutting the delivered text back through `truncate`.
   */
  retract(text: string): void {
    if (this.failure || text === "") return;
    if (this.buffer.endsWith(text)) {
      this.buffer = this.buffer.slice(0, this.buffer.length - text.length);
      this.bufferBytes = Buffer.byteLength(this.buffer);
      return;
    }
    const cut = text.length - this.buffer.length;
    this.buffer = "";
    this.bufferBytes = 0;
    const truncate = this.options.truncate;
    this.then(async () => {
      const kept = this.delivered.slice(0, Math.max(0, this.delivered.length - cut));
      await truncate?.(kept);
      this.delivered = kept;
    });
  }

  /** Delivers everything queued and resolves once the callback accepted it (or failed). */
  async drain(): Promise<void> {
    this.clearTimer();
    while (!this.failure && (this.running || this.buffer !== "" || this.ops.length > 0)) {
      this.clearTimer();
      if (!this.running) this.start();
      await this.running;
    }
  }

  private schedule(): void {
    if (this.running || this.failure) return;
    const now = performance.now();
    // A slow delivery (a store rewriting a large answer) earns as much idle time, up to a
    // second: readers get the event loop, and the text waiting meanwhile goes in one batch.
    const rested = this.lastEnd + Math.min(this.lastDuration, MAX_REST_MS);
    if ((this.ops.length > 0 || this.bufferBytes >= this.options.maxBytes) && now >= rested) {
      this.clearTimer();
      this.start();
      return;
    }
    if (this.timer) return;
    const urgent = this.ops.length > 0 || this.bufferBytes >= this.options.maxBytes;
    const wait = Math.max(0, (urgent ? rested : Math.max(rested, this.lastStart + this.options.intervalMs)) - now);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.running) this.start();
    }, wait);
  }

  private start(): void {
    const op = this.ops.shift();
    if (op) {
      this.lastStart = performance.now();
      this.running = this.runOne(op).finally(() => this.afterRun());
      return;
    }
    if (this.buffer === "") return;
    const text = this.buffer;
    this.buffer = "";
    this.bufferBytes = 0;
    this.lastStart = performance.now();
    this.running = this.runOne(() => this.deliverText(text)).finally(() => this.afterRun());
  }

  private afterRun(): void {
    this.running = undefined;
    this.lastEnd = performance.now();
    this.lastDuration = this.lastEnd - this.lastStart;
    if (this.buffer !== "" || this.ops.length > 0) this.schedule();
  }

  /** Moves the buffered text into the queue, so work queued next runs after it. */
  private queueBuffer(): void {
    if (this.buffer === "") return;
    const text = this.buffer;
    this.buffer = "";
    this.bufferBytes = 0;
    this.ops.push(() => this.deliverText(text));
  }

  private async runOne(op: () => Promise<void>): Promise<void> {
    try {
      await this.ready;
      await op();
    } catch (error) {
      this.fail(error);
    }
  }

  private async deliverText(text: string): Promise<void> {
    await this.options.deliver(text);
    this.delivered += text;
  }

  private fail(error: unknown): void {
    if (this.failure) return;
    this.failure = { error };
    this.buffer = "";
    this.ops.length = 0;
    this.clearTimer();
    this.options.onError(error);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
