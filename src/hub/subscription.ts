import type { EventRecord } from "../store/records.js";

/** Why a subscription ended before its consumer closed it. */
export type EndReason = "overflow" | "shutdown";

/** Raised to a consumer whose subscription ended: it fell behind, or the daemon is stopping. */
export class SubscriptionEndedError extends Error {
  constructor(
    readonly reason: EndReason,
    /** The newest seq the consumer was handed before the end (resume after it). */
    readonly lastSeq: number,
  ) {
    super(
      reason === "overflow"
        ? `watcher fell behind and was disconnected; resume with after_seq=${lastSeq}`
        : `daemon is stopping; resume with after_seq=${lastSeq} once it is back`,
    );
    this.name = "SubscriptionEndedError";
  }
}

/**
 * One consumer's bounded queue of events. The hub pushes; the consumer takes batches. When
 * the queue would exceed its limit the subscription ends ("overflow") and its memory is
 * released, so a consumer that reads nothing cannot grow the daemon.
 */
export class Subscription {
  private queue: EventRecord[] = [];
  private waiter: (() => void) | undefined;
  private ended: EndReason | undefined;
  /** The newest seq handed to the consumer by take(). */
  lastTakenSeq = 0;

  constructor(
    readonly accepts: (event: EventRecord) => boolean,
    private readonly limit: number,
    private readonly onClose: (subscription: Subscription) => void,
  ) {}

  /** Called by the hub for every event it publishes that `accepts` this subscription. */
  push(event: EventRecord): void {
    if (this.ended) return;
    if (this.queue.length >= this.limit) {
      this.end("overflow");
      return;
    }
    this.queue.push(event);
    this.wake();
  }

  /** Ends the subscription; the consumer's next take() throws SubscriptionEndedError. */
  end(reason: EndReason): void {
    if (this.ended) return;
    this.ended = reason;
    this.queue = [];
    this.wake();
    this.onClose(this);
  }

  /**
   * Waits up to `timeoutMs` for events and returns them all (an empty array on timeout).
   * Rejects with the signal's reason when aborted, SubscriptionEndedError when ended.
   */
  async take(timeoutMs: number, signal?: AbortSignal): Promise<EventRecord[]> {
    if (!this.queue.length && !this.ended) await this.wait(timeoutMs, signal);
    if (this.ended) throw new SubscriptionEndedError(this.ended, this.lastTakenSeq);
    const batch = this.queue;
    this.queue = [];
    const last = batch[batch.length - 1];
    if (last) this.lastTakenSeq = last.seq;
    return batch;
  }

  /** Stops receiving events. Idempotent. */
  close(): void {
    if (this.ended) return;
    this.ended = "shutdown";
    this.queue = [];
    this.onClose(this);
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  private wait(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.waiter = undefined;
      };
      const onAbort = () => {
        done();
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        done();
        resolve();
      }, timeoutMs);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiter = () => {
        done();
        resolve();
      };
    });
  }
}
