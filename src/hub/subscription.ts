import type { EventRecord } from "../store/records.js";
import { EventQueue } from "./event-queue.js";

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
 * One consumer's bounded queue of events. The hub pushes; the consumer either awaits batches
 * (take) or, with a listener, is called back synchronously on every push and end and pulls
 * events one at a time (next) while its transport accepts them. When the queue would exceed
 * its limit the subscription ends ("overflow") and its memory is released, so a consumer
 * that reads nothing cannot grow the daemon.
 */
export class Subscription {
  private readonly queue = new EventQueue();
  private waiter: (() => void) | undefined;
  private listener: (() => void) | undefined;
  private ended: EndReason | undefined;
  /** The consumer itself closed it (close()), as opposed to an overflow or shutdown. */
  private closedByConsumer = false;
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
    if (this.queue.size >= this.limit) {
      this.end("overflow");
      return;
    }
    this.queue.push(event);
    this.wake();
  }

  /** Events queued and not yet handed out. */
  get queued(): number {
    return this.queue.size;
  }

  /**
   * Calls `listener` synchronously after every push and at the end, instead of waking a
   * take(); the consumer then drains with next(). Calls it once now if events are queued.
   */
  listen(listener: () => void): void {
    this.listener = listener;
    if (this.queued || this.ended) listener();
  }

  /**
   * The oldest queued event, or undefined when none is queued. Throws SubscriptionEndedError
   * once the subscription ended (after a consumer-side close(), returns undefined).
   */
  next(): EventRecord | undefined {
    if (this.ended) {
      if (this.closedByConsumer) return undefined;
      this.assertOpen();
    }
    const event = this.queue.shift();
    if (!event) return undefined;
    this.lastTakenSeq = event.seq;
    return event;
  }

  /** Throws SubscriptionEndedError when the hub ended the subscription (overflow or shutdown). */
  assertOpen(): void {
    if (this.ended && !this.closedByConsumer) throw new SubscriptionEndedError(this.ended, this.lastTakenSeq);
  }

  /** Ends the subscription; the consumer's next take() throws SubscriptionEndedError. */
  end(reason: EndReason): void {
    if (this.ended) return;
    this.ended = reason;
    this.queue.clear();
    this.wake();
    this.onClose(this);
  }

  /**
   * Waits up to `timeoutMs` for events and returns them all (an empty array on timeout).
   * Rejects with the signal's reason when aborted, SubscriptionEndedError when ended.
   */
  async take(timeoutMs: number, signal?: AbortSignal): Promise<EventRecord[]> {
    if (!this.queued && !this.ended) await this.wait(timeoutMs, signal);
    if (this.ended) throw new SubscriptionEndedError(this.ended, this.lastTakenSeq);
    const batch = this.queue.drain();
    const last = batch[batch.length - 1];
    if (last) this.lastTakenSeq = last.seq;
    return batch;
  }

  /** Stops receiving events. Idempotent. */
  close(): void {
    if (this.ended) return;
    this.ended = "shutdown";
    this.closedByConsumer = true;
    this.queue.clear();
    this.listener = undefined;
    this.onClose(this);
  }

  private wake(): void {
    if (this.listener) return this.listener();
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
