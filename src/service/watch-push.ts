import { SubscriptionEndedError } from "../hub/subscription.js";
import type { ServiceContext } from "./context.js";
import type { HeartbeatTarget } from "./heartbeats.js";
import type { OpenWatch } from "./watch.js";

/** A transport that takes a watch's responses one at a time (the gRPC fast path's HTTP/2 stream). */
export interface WatchSink<R> {
  /** Sends one response; false when the transport's buffer is full: nothing more until drained(). */
  write(response: R): boolean;
}

/**
 * Follows an open watch by pushing: every event the hub publishes for it is written to the
 * sink at once, within the publish, with no queue, promise or generator per event. While
 * the sink is full, events wait in the subscription's bounded queue, which ends the watch
 * ("overflow": RESOURCE_EXHAUSTED with the seq to resume after) when the watcher falls that
 * far behind; so a watcher that stops reading holds the transport's buffer and at most the
 * queue's limit of shared events. Heartbeats come from the context's shared timer, only when
 * everything published has been written.
 */
export class PushFollower<R> implements HeartbeatTarget {
  lastWriteRound: number;
  private full = false;
  private settled = false;
  private settle: (error?: unknown) => void = () => undefined;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly watch: OpenWatch<R>,
    /** The newest seq this stream has sent (or its start covered). */
    private lastSeq: number,
    private readonly sink: WatchSink<R>,
  ) {
    this.lastWriteRound = ctx.heartbeats.round;
  }

  /**
   * Follows until the watch's last event (resolves), the subscription ends
   * (SubscriptionEndedError naming this stream's last seq), the sink fails, or the signal
   * aborts (its reason).
   */
  run(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => this.settle(signal.reason);
      this.settle = (error?: unknown) => {
        if (this.settled) return;
        this.settled = true;
        this.ctx.heartbeats.delete(this);
        signal.removeEventListener("abort", onAbort);
        if (error === undefined) resolve();
        else reject(error);
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      this.ctx.heartbeats.add(this);
      this.watch.sub.listen(() => this.pump());
    });
  }

  /** The sink has room again: writes what waited. */
  drained(): void {
    this.full = false;
    this.pump();
  }

  beat(shared: <T>(make: (seq: number) => T, seq: number) => T): void {
    if (this.settled || this.full || this.watch.sub.queued) return;
    // Everything published up to the hub's head has been written (or did not match).
    this.lastSeq = Math.max(this.lastSeq, this.ctx.hub.headSeq);
    this.guarded(() => this.write(shared(this.watch.follow.heartbeat, this.lastSeq)));
  }

  // Called by the subscription on every push and at its end, within the hub's publish: it
  // must never throw into the publisher.
  private pump(): void {
    if (this.settled) return;
    this.guarded(() => {
      const { sub, follow } = this.watch;
      for (;;) {
        // A full transport takes nothing, but an end (overflow, shutdown) must still be seen.
        if (this.full) return sub.assertOpen();
        const event = sub.next();
        if (!event) return;
        if (event.seq <= this.lastSeq) continue;
        this.lastSeq = event.seq;
        this.write(follow.respond(event));
        if (follow.isLast?.(event)) return this.settle();
      }
    });
  }

  private write(response: R): void {
    this.lastWriteRound = this.ctx.heartbeats.round;
    if (!this.sink.write(response)) this.full = true;
  }

  private guarded(work: () => void): void {
    try {
      work();
    } catch (err) {
      this.settle(err instanceof SubscriptionEndedError ? new SubscriptionEndedError(err.reason, this.lastSeq) : err);
    }
  }
}
