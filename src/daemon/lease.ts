import { randomUUID } from "node:crypto";
import { dropLease, expireDeadLocalDaemons, failOrphanedRuns, renewLease } from "../store/agent-runs.js";
import { isProcessAlive } from "../common/process-alive.js";
import type { Store } from "../store/open-store.js";
import type { Logger } from "./logger.js";


/**
 * This daemon's lease on its agent runs. It is renewed every few seconds; the leader fails
 * the runs of daemons whose lease expired (their agents died with them). At start, daemons
 * of this host whose process is gone lose their lease at once; on SQLite only one daemon
 * uses a store, so every run of another daemon is failed at once.
 */
export class Lease {
  /** The id of this daemon process. */
  readonly daemonId = randomUUID();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  private readonly renewMs: number;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly leaseMs: number,
  ) {
    this.renewMs = Math.max(200, leaseMs / 3);
  }

  /** Takes the lease and fails what earlier daemons left behind. */
  async start(): Promise<void> {
    await this.store.write(async (trx) => {
      await renewLease(trx, this.daemonId, this.leaseMs);
      await expireDeadLocalDaemons(trx, this.daemonId, isProcessAlive);
    });
    const alone = this.store.dialect.name === "sqlite";
    await this.sweep(alone);
    this.schedule();
  }

  /** Gives the lease up. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.store.write((trx) => dropLease(trx, this.daemonId));
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.beat()
        .catch((err) => this.log.warn("could not renew the daemon lease; retrying", { error: (err as Error).message }))
        .finally(() => this.schedule());
    }, this.renewMs);
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    await this.store.write((trx) => renewLease(trx, this.daemonId, this.leaseMs));
    if (await this.store.isLeader()) await this.sweep(false);
  }

  private async sweep(othersAreGone: boolean): Promise<void> {
    const failed = await this.store.write((trx) => failOrphanedRuns(trx, this.daemonId, othersAreGone));
    if (!failed) return;
    this.log.warn("failed responses whose agent was lost with its daemon", { count: failed });
  }
}
