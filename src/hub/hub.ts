import type { EventRecord } from "../store/records.js";
import { ResourceLimitError } from "../common/errors.js";
import { Subscription } from "./subscription.js";

/** Limits of the hub. */
export interface HubOptions {
  /** Events a watcher may have queued before it is disconnected; default 10,000. */
  queueLimit?: number;
  /** Concurrent subscriptions allowed; default 20,000. */
  maxSubscriptions?: number;
}

/** What a subscriber wants: one message's events, or any event passing a predicate. */
export type SubscriptionFilter = { messageId: string } | { accepts: (event: EventRecord) => boolean };

/**
 * Fans events out to subscribers in the order they are published (the poller publishes in
 * seq order). Subscribers of one message are indexed by id, so publishing costs nothing for
 * the watchers of other messages.
 */
export class Hub {
  private readonly byMessage = new Map<string, Set<Subscription>>();
  private readonly general = new Set<Subscription>();
  private count = 0;
  private closed = false;
  private readonly queueLimit: number;
  private readonly maxSubscriptions: number;
  /** The newest seq published. */
  headSeq = 0;
  /** Events published since start. */
  published = 0;

  constructor(options: HubOptions = {}) {
    this.queueLimit = options.queueLimit ?? 10_000;
    this.maxSubscriptions = options.maxSubscriptions ?? 20_000;
  }

  /** Open subscriptions. */
  get size(): number {
    return this.count;
  }

  /** The ids of the messages someone watches one by one ({ messageId } subscriptions). */
  watchedMessageIds(): IterableIterator<string> {
    return this.byMessage.keys();
  }

  /** Subscribes; ResourceLimitError when the cap is reached or the hub is closed. */
  subscribe(filter: SubscriptionFilter): Subscription {
    if (this.closed) throw new ResourceLimitError("daemon is stopping; no new watches");
    if (this.count >= this.maxSubscriptions) {
      throw new ResourceLimitError(`too many watchers (limit ${this.maxSubscriptions}); retry later`);
    }
    this.count++;
    if ("messageId" in filter) {
      const id = filter.messageId;
      const sub = new Subscription((e) => e.messageId === id, this.queueLimit, (s) => this.remove(id, s));
      let set = this.byMessage.get(id);
      if (!set) this.byMessage.set(id, (set = new Set()));
      set.add(sub);
      return sub;
    }
    const sub = new Subscription(filter.accepts, this.queueLimit, (s) => this.remove(undefined, s));
    this.general.add(sub);
    return sub;
  }

  /** Delivers an event to every subscriber that wants it. */
  publish(event: EventRecord): void {
    this.headSeq = Math.max(this.headSeq, event.seq);
    this.published++;
    const set = this.byMessage.get(event.messageId);
    if (set) for (const sub of [...set]) sub.push(event);
    for (const sub of [...this.general]) if (sub.accepts(event)) sub.push(event);
  }

  /** Ends every subscription ("shutdown") and refuses new ones. Idempotent. */
  close(): void {
    this.closed = true;
    for (const set of [...this.byMessage.values()]) for (const sub of [...set]) sub.end("shutdown");
    for (const sub of [...this.general]) sub.end("shutdown");
  }

  private remove(messageId: string | undefined, sub: Subscription): void {
    const removed = messageId === undefined ? this.general.delete(sub) : this.deleteIndexed(messageId, sub);
    if (removed) this.count--;
  }

  private deleteIndexed(messageId: string, sub: Subscription): boolean {
    const set = this.byMessage.get(messageId);
    if (!set?.delete(sub)) return false;
    if (set.size === 0) this.byMessage.delete(messageId);
    return true;
  }
}
