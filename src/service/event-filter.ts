import type { Reader } from "../store/reader.js";
import type { EventRecord } from "../store/records.js";
import { parseLabels } from "../store/rows.js";
import type { StatusName } from "../store/status.js";

/** What a multi-message watch selects. Empty parts match everything. */
export interface EventFilter {
  messageIds: ReadonlySet<string>;
  threadId: string;
  statuses: ReadonlySet<StatusName>;
  module: string;
  labels: Record<string, string>;
}

/** A filter split in two: fields of the event itself, and attributes looked up per message. */
export interface EventMatcher {
  /** Cheap test on the event's own fields (safe to run inside the hub's publish). */
  byEvent(event: EventRecord): boolean;
  /** Full test, looking up the message's module and monitor labels when the filter needs them. */
  matches(event: EventRecord): Promise<boolean>;
}

/**
 * Builds the matcher. Module and labels are read from the store once per message and
 * cached; labels are re-read when the message is registered again or unregistered. Labels
 * are matched as they are now, also for replayed events.
 */
export function createMatcher(reader: Reader, filter: EventFilter): EventMatcher {
  const modules = new Map<string, string>();
  const labels = new Map<string, Record<string, string>>();
  const wantedLabels = Object.entries(filter.labels);
  const byEvent = (event: EventRecord) =>
    (!filter.messageIds.size || filter.messageIds.has(event.messageId)) &&
    (!filter.threadId || event.threadId === filter.threadId) &&
    (!filter.statuses.size || (event.toStatus !== null && filter.statuses.has(event.toStatus)));
  const moduleOf = async (id: string) => {
    let module = modules.get(id);
    if (module === undefined) {
      const row = await reader.get<{ module: string | null }>("SELECT module FROM messages WHERE message_id = ?", [id]);
      module = row?.module ?? "";
      remember(modules, id, module);
    }
    return module;
  };
  const labelsOf = async (event: EventRecord) => {
    if (event.kind === "registered" || event.kind === "unregistered") labels.delete(event.messageId);
    let found = labels.get(event.messageId);
    if (!found) {
      const row = await reader.get<{ labels: string }>("SELECT labels FROM monitors WHERE message_id = ?", [event.messageId]);
      found = parseLabels(row?.labels ?? null);
      remember(labels, event.messageId, found);
    }
    return found;
  };
  return {
    byEvent,
    async matches(event) {
      if (!byEvent(event)) return false;
      if (filter.module && (await moduleOf(event.messageId)) !== filter.module) return false;
      if (!wantedLabels.length) return true;
      const have = await labelsOf(event);
      return wantedLabels.every(([k, v]) => have[k] === v);
    },
  };
}

// A long-lived watch of everything sees unboundedly many messages: keep the caches bounded.
const CACHE_LIMIT = 10_000;

function remember<V>(cache: Map<string, V>, key: string, value: V): void {
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, value);
}
