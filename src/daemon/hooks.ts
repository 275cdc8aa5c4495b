import type { Event, Message } from "../../gen/claude_comms/v1/message_pb.js";
import { eventToProto, messageToProto } from "../service/convert.js";
import { findMessage } from "../store/messages.js";
import type { Reader } from "../store/reader.js";
import { isTerminalEvent, type EventRecord } from "../store/records.js";
import type { Logger } from "./logger.js";

/** Callbacks for a daemon embedded in another Node process; they see what a watcher sees. */
export interface DaemonHooks {
  /** Every event of the log, in seq order, as the poller publishes it. */
  onEvent?(event: Event): void;
  /** Every status change (and creation) of a message, in seq order. */
  onStatusChange?(event: Event): void;
  /**
   * A message reached a terminal status: the event, and the message as it is then, with its
   * content (read once it is final). Called in the order the messages finished.
   */
  onComplete?(event: Event, message: Message): void;
}

/**
 * Makes the poller's `onEvent` for a set of hooks: converts each event once, calls the hooks
 * in seq order, and reads a finished message's content for `onComplete` (one read at a time,
 * so completions keep their order). A hook that throws is logged, never breaks the poller.
 */
export function hookDispatcher(hooks: DaemonHooks, reader: () => Reader, log: Logger): (record: EventRecord) => void {
  if (!hooks.onEvent && !hooks.onStatusChange && !hooks.onComplete) return () => undefined;
  let completions = Promise.resolve();
  const guarded = (name: string, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      log.warn(`the daemon hook ${name} threw`, { err });
    }
  };
  return (record) => {
    const event = eventToProto(record);
    if (hooks.onEvent) guarded("onEvent", () => hooks.onEvent!(event));
    if (hooks.onStatusChange && (record.kind === "status_changed" || record.kind === "created")) {
      guarded("onStatusChange", () => hooks.onStatusChange!(event));
    }
    if (!hooks.onComplete || !isTerminalEvent(record)) return;
    completions = completions.then(async () => {
      const found = await findMessage(reader(), record.messageId, { contentFrom: 0 }).catch((err: unknown) => {
        log.warn("could not read a finished message for onComplete", { id: record.messageId, err });
        return undefined;
      });
      if (found) guarded("onComplete", () => hooks.onComplete!(event, messageToProto(found)));
    });
  };
}
