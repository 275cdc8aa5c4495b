import type { Knex } from "knex";
import { formatDurationMs } from "../common/duration.js";
import { FailedPreconditionError, NotFoundError } from "../common/errors.js";
import { setStatus } from "../store/messages.js";
import { deleteMonitors } from "../store/monitors.js";
import type { Store } from "../store/open-store.js";
import { ACTIVE_STATUSES } from "../store/status.js";
import type { Duty } from "./duty.js";
import type { MonitorTable } from "./monitor-table.js";

/**
 * Times out monitored messages past their deadline and unregisters finished ones after the
 * retention (both come off the monitor table's due queue). A singleton duty. What fails to
 * be written is due again after an interval.
 */
export class Deadlines implements Duty {
  constructor(
    private readonly store: Store,
    private readonly table: MonitorTable,
    private readonly intervalMs: number,
  ) {}

  isDue(now: number): boolean {
    return this.table.nextDue() <= now;
  }

  wakeAt(): number {
    return this.table.nextDue();
  }

  async run(now: number): Promise<number> {
    const { timeouts, expired } = this.table.takeDue(now);
    try {
      if (timeouts.length) await this.store.write((trx) => this.timeOut(trx, timeouts), { notify: false });
      if (expired.length) await this.store.write((trx) => deleteMonitors(trx, expired, "expired"), { notify: false });
    } catch (err) {
      // Try again next tick (the store may be busy or read-only for a while).
      this.table.retry([...timeouts, ...expired], now + this.intervalMs);
      throw err;
    }
    return timeouts.length + expired.length;
  }

  private async timeOut(trx: Knex.Transaction, ids: string[]): Promise<void> {
    for (const id of ids) {
      const timeoutMs = this.table.timeoutMs(id);
      const within = timeoutMs ? ` within ${formatDurationMs(timeoutMs)}` : "";
      try {
        await setStatus(trx, id, "timed_out", `deadline exceeded: not finished${within}`, ACTIVE_STATUSES);
      } catch (err) {
        // It finished or vanished in the meantime: nothing to time out.
        if (!(err instanceof FailedPreconditionError || err instanceof NotFoundError)) throw err;
      }
    }
  }
}
