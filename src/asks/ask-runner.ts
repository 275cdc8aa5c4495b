import { randomUUID } from "node:crypto";
import { AgentSupervisor, CLOSE_REASON } from "../agent/index.js";
import { setStatus } from "../store/messages.js";
import type { Store } from "../store/open-store.js";
import { isTerminalEvent, type EventRecord } from "../store/records.js";
import { ACTIVE_STATUSES } from "../store/status.js";
import { runAskAgent } from "./agent-run.js";
import type { Ask, AskIds } from "./ask.js";
import { endOrphanedAgents } from "./orphans.js";
import { recordAsk, recordDropped, recordOutcome } from "./ask-records.js";

/** Calls `listener` with every event of the log, in seq order; returns an unsubscribe. */
export type EventFeed = (listener: (event: EventRecord) => void) => () => void;

/** What {@link AskRunner} needs: the store, the event log's feed, and configuration. */
export interface AskRunnerOptions {
  store: Store;
  /** The log's events; a response that ends by any means stops its agent. */
  events: EventFeed;
  /** This daemon's id: its runs are recorded under it (see the lease). */
  daemonId: string;
  /** The agent command (argv) of modules without their own. */
  agentCommand: readonly string[];
  /** Agents running at once; the rest wait PENDING in FIFO order. */
  maxAgents: number;
  /** Largest answer, in bytes: past it the agent's group is ended and the response fails. */
  maxContentBytes: number;
  /** A write the runner could not make (the run goes on or is already over). */
  onError: (message: string, fields: Record<string, unknown>) => void;
}

/**
 * The one owner of the ask lifecycle: records the question and its response, queues the
 * agent run, supervises it (its text into the response, its outcome into the status),
 * stops it when the response ends by any means (cancel, deadline, another writer), and
 * releases every run in one idempotent {@link close}.
 */
export class AskRunner {
  private readonly supervisor: AgentSupervisor;
  private readonly unsubscribe: () => void;
  /** Writes ending dropped asks: close() waits for them, so none hits a closed store. */
  private readonly drops = new Set<Promise<void>>();
  private closing: Promise<void> | undefined;

  /** Starts listening to the log; runs nothing until {@link start}. */
  constructor(private readonly options: AskRunnerOptions) {
    this.supervisor = new AgentSupervisor({
      maxAgents: options.maxAgents,
      onQueuedCancel: (id, reason) => this.track(this.drop(id, reason)),
      onJobError: (id, err) => options.onError("agent run failed to record its outcome", { id, err }),
    });
    this.unsubscribe = options.events((event) => this.onEvent(event));
  }

  /** Agents running now. */
  get running(): number {
    return this.supervisor.running;
  }

  /** Asks waiting for a free agent slot. */
  get queued(): number {
    return this.supervisor.queued;
  }

  /**
   * Records the question (COMPLETE) and the response (PENDING, monitored with the deadline)
   * in one transaction, then queues the agent run. Returns at once with the ids.
   */
  async start(ask: Ask): Promise<AskIds> {
    const ids = { threadId: ask.threadId || randomUUID(), questionId: randomUUID(), responseId: randomUUID() };
    await this.options.store.write((trx) => recordAsk(trx, ask, ids, this.options.daemonId));
    const deadline = performance.now() + ask.timeoutMs;
    this.supervisor.submit({ id: ids.responseId, run: (signal) => this.run(ask, ids, deadline, signal) });
    return ids;
  }

  /**
   * Ends the agent groups that earlier daemons of this host left running (see
   * endOrphanedAgents). Call it at start, before their runs are failed and forgotten.
   */
  endOrphans(othersAreGone: boolean): Promise<number> {
    return endOrphanedAgents(this.options.store, this.options.daemonId, othersAreGone);
  }

  /**
   * Cancels a message (any message, an ask's response or not): records CANCELLED with the
   * reason, then stops its agent at once. A terminal message is FailedPreconditionError.
   */
  async cancel(messageId: string, reason: string): Promise<void> {
    await this.options.store.write((trx) => setStatus(trx, messageId, "cancelled", reason, ACTIVE_STATUSES));
    this.supervisor.cancel(messageId, reason);
  }

  /**
   * Stops listening, drops the queue (those responses fail: ask again), stops every running
   * agent and waits for its outcome to be recorded. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    this.unsubscribe();
    try {
      await this.supervisor.close();
    } finally {
      await Promise.all(this.drops);
    }
  }

  private track(drop: Promise<void>): void {
    this.drops.add(drop);
    void drop.finally(() => this.drops.delete(drop));
  }

  /** A response that ended by other means (cancel, deadline, another writer) stops its agent. */
  private onEvent(event: EventRecord): void {
    if (isTerminalEvent(event) && this.supervisor.has(event.messageId)) {
      this.supervisor.cancel(event.messageId, `message became ${event.toStatus}`);
    }
  }

  private async run(ask: Ask, ids: AskIds, deadline: number, signal: AbortSignal): Promise<void> {
    const outcome = await runAskAgent(this.options, ask, ids, Math.max(1, deadline - performance.now()), signal);
    const stopping = signal.reason === CLOSE_REASON;
    await this.options.store.write((trx) => recordOutcome(trx, { ...ids, module: ask.module.name }, outcome, stopping));
  }

  private async drop(messageId: string, reason: string): Promise<void> {
    try {
      await this.options.store.write((trx) => recordDropped(trx, messageId, reason, reason === CLOSE_REASON));
    } catch (err) {
      this.options.onError("could not end a dropped ask", { id: messageId, err });
    }
  }
}
