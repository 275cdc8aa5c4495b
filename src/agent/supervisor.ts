/** A unit of work for {@link AgentSupervisor}: typically a closure that calls runAgent. */
export interface AgentJob {
  /** Unique among the jobs queued or running (the response message id, say). */
  id: string;
  /**
   * Does the work. The signal aborts (with the cancel reason, a string) on cancel or close;
   * the job should then end promptly. A rejection is reported to onJobError.
   */
  run: (signal: AbortSignal) => Promise<void>;
}

/** Options of {@link AgentSupervisor}. */
export interface AgentSupervisorOptions {
  /** Jobs running at once; default 4. Each agent is a Claude Code process (~hundreds of MiB). */
  maxAgents?: number;
  /** A queued job was dropped before it started (by cancel or close): its run never runs. */
  onQueuedCancel?: (id: string, reason: string) => void;
  /** A job's run rejected; the supervisor carries on. Default: ignore. */
  onJobError?: (id: string, error: unknown) => void;
}

/** The abort reason close() gives running jobs (and onQueuedCancel for queued ones). */
export const CLOSE_REASON = "daemon stopping";

/** Thrown by {@link AgentSupervisor.submit} after close, or for an id already present. */
export class SupervisorRejectedError extends Error {
  override readonly name = "SupervisorRejectedError";
}

/**
 * Runs jobs with bounded concurrency: at most maxAgents at once, the rest wait in FIFO
 * order and start as slots free. Jobs are cancelled through an AbortSignal, queued ones are
 * simply dropped. Generic on purpose: it knows nothing of agents, stores or messages.
 */
export class AgentSupervisor {
  private readonly maxAgents: number;
  private readonly queue: AgentJob[] = [];
  private readonly active = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private closing: Promise<void> | undefined;

  /** Creates an idle supervisor. */
  constructor(private readonly options: AgentSupervisorOptions = {}) {
    const max = options.maxAgents ?? 4;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`maxAgents must be a positive integer, got ${max}`);
    this.maxAgents = max;
  }

  /** Jobs running now. */
  get running(): number {
    return this.active.size;
  }

  /** Jobs waiting for a slot. */
  get queued(): number {
    return this.queue.length;
  }

  /** Whether a job with this id is running or queued. */
  has(id: string): boolean {
    return this.active.has(id) || this.queue.some((job) => job.id === id);
  }

  /**
   * Starts the job now if a slot is free, else queues it. Throws SupervisorRejectedError
   * once closing, or when the id is already running or queued.
   */
  submit(job: AgentJob): void {
    if (this.closing) throw new SupervisorRejectedError("agent supervisor is closed (daemon stopping)");
    if (this.has(job.id)) throw new SupervisorRejectedError(`job "${job.id}" is already running or queued`);
    this.queue.push(job);
    this.startNext();
  }

  /**
   * Cancels a job: a running one's signal aborts with `reason`; a queued one is removed
   * (and reported to onQueuedCancel). Returns false when no such job is known.
   */
  cancel(id: string, reason: string): boolean {
    const running = this.active.get(id);
    if (running) {
      running.controller.abort(reason);
      return true;
    }
    const index = this.queue.findIndex((job) => job.id === id);
    if (index === -1) return false;
    this.queue.splice(index, 1);
    this.options.onQueuedCancel?.(id, reason);
    return true;
  }

  /**
   * Drops the queue, aborts every running job with "daemon stopping" and waits for them
   * to settle. Idempotent (later calls return the same promise). Every step runs even if a
   * hook throws; the errors are then rethrown together as an AggregateError.
   */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    const reason = CLOSE_REASON;
    const errors: unknown[] = [];
    for (const job of this.queue.splice(0)) {
      capture(errors, () => this.options.onQueuedCancel?.(job.id, reason));
    }
    const running = [...this.active.values()];
    for (const { controller } of running) capture(errors, () => controller.abort(reason));
    await Promise.allSettled(running.map(({ done }) => done));
    if (errors.length > 0) throw new AggregateError(errors, "agent supervisor closed with errors");
  }

  private startNext(): void {
    while (!this.closing && this.active.size < this.maxAgents) {
      const job = this.queue.shift();
      if (!job) return;
      this.start(job);
    }
  }

  private start(job: AgentJob): void {
    const controller = new AbortController();
    // Run from a microtask so a synchronous throw in run is a rejection, like any other.
    const done = Promise.resolve()
      .then(() => job.run(controller.signal))
      .catch((error: unknown) => this.reportJobError(job.id, error))
      .finally(() => {
        this.active.delete(job.id);
        this.startNext();
      });
    this.active.set(job.id, { controller, done });
  }

  private reportJobError(id: string, error: unknown): void {
    try {
      this.options.onJobError?.(id, error);
    } catch {
      // A failing error hook must not stop the queue; there is nobody left to tell.
    }
  }
}

function capture(errors: unknown[], step: () => void): void {
  try {
    step();
  } catch (error) {
    errors.push(error);
  }
}
