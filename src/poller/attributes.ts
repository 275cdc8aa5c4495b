import { modulesOf } from "../store/messages.js";
import type { Reader } from "../store/reader.js";
import type { EventRecord } from "../store/records.js";
import type { MonitorTable } from "./monitor-table.js";

// A long-lived daemon sees unboundedly many messages: keep the cache bounded (twice the
// 100,000 monitored messages the targets are measured with, so a full table still leaves room).
const MODULE_CACHE_LIMIT = 200_000;

/**
 * Attaches each published event's module and monitor labels, once, so every watch filter
 * is a pure function of the event. Labels come from the monitor table (kept current from
 * REGISTERED and UNREGISTERED events); modules, which never change, from a cache filled by
 * one query per tail batch for the messages it has not seen, and filled at start with the
 * modules of every monitored message (read with the monitors). Measured against joining both
 * in the tail query: the join cost every event two index lookups, the cache costs one per
 * new message; seeded, a tick over 1,000 monitored messages changed just now skips 10 ms of
 * lookups through a fresh WAL.
 */
export class AttributeCache {
  private readonly modules = new Map<string, string>();

  constructor(private readonly table: MonitorTable) {}

  /** Remembers modules read elsewhere (the monitors at start), while the cache has room. */
  remember(entries: Iterable<{ messageId: string; module: string }>): void {
    for (const { messageId, module } of entries) {
      if (this.modules.size >= MODULE_CACHE_LIMIT) return;
      this.modules.set(messageId, module);
    }
  }

  /** Reads the modules of the batch's messages not in the cache. */
  async prefetch(reader: Reader, batch: readonly EventRecord[]): Promise<void> {
    const missing = [...new Set(batch.map((e) => e.messageId))].filter((id) => !this.modules.has(id));
    if (!missing.length) return;
    if (this.modules.size + missing.length > MODULE_CACHE_LIMIT) this.modules.clear();
    const found = await modulesOf(reader, missing);
    for (const id of missing) this.modules.set(id, found.get(id) ?? "");
  }

  /** Attaches the attributes (after the monitor table has applied the event). */
  attach(event: EventRecord): void {
    event.attributes = { module: this.modules.get(event.messageId) ?? "", labels: this.table.labelsOf(event.messageId) };
  }
}
