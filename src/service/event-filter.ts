import type { MessageSelection } from "../store/matching.js";
import type { EventRecord } from "../store/records.js";

/** What a multi-message watch selects (the same selection picks its initial snapshots). */
export type EventFilter = MessageSelection;

/**
 * The filter as a pure function of the event, cheap enough to run inside the hub's publish.
 * Module and labels come from the attributes the log tail attached when it read the event
 * (labels as they were then, also for replayed events); an event without them matches no
 * module or label filter.
 */
export function eventMatcher(filter: EventFilter): (event: EventRecord) => boolean {
  const wantedLabels = Object.entries(filter.labels);
  return (event) => {
    if (filter.messageIds.size && !filter.messageIds.has(event.messageId)) return false;
    if (filter.threadId && event.threadId !== filter.threadId) return false;
    if (filter.statuses.size && (event.toStatus === null || !filter.statuses.has(event.toStatus))) return false;
    if (filter.module && event.attributes?.module !== filter.module) return false;
    const labels = event.attributes?.labels;
    return wantedLabels.every(([k, v]) => labels?.[k] === v);
  };
}
