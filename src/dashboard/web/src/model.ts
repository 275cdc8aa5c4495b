import { timestampMs } from "@bufbuild/protobuf/wkt";
import { type Event, EventKind, type Message } from "../../../../gen/claude_comms/v1/message_pb.js";
import type { Api } from "./api.js";
import type { Live } from "./live.js";

/** Called when a message was added or changed (with the event that changed it), or after a reload (no arguments). */
export type ChangeListener = (message?: Message, event?: Event) => void;

/**
 * The messages this tab knows: the daemon's monitored ones when the page loaded, and every
 * message an event has named since. Events change them in place; a message first seen in
 * an event is read once with ShowMessage.
 */
export class MessageIndex {
  readonly messages = new Map<string, Message>();
  private readonly listeners = new Set<ChangeListener>();
  private readonly reading = new Set<string>();
  private readonly readAgain = new Set<string>();
  loaded: Promise<void>;

  constructor(private readonly api: Api, live: Live) {
    this.loaded = this.load();
    live.listen({ event: (e) => void this.apply(e), reset: () => void (this.loaded = this.load()) });
  }

  /** Adds a listener; returns the function that removes it. */
  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async load(): Promise<void> {
    let pageToken = "";
    do {
      const page = await this.api.polling.listMessages({ pageSize: 1000, pageToken });
      for (const m of page.messages) if (!isNewer(this.messages.get(m.messageId), m)) this.messages.set(m.messageId, m);
      pageToken = page.nextPageToken;
    } while (pageToken);
    this.notify();
  }

  private async apply(event: Event): Promise<void> {
    const known = this.messages.get(event.messageId);
    if (!known || event.kind === EventKind.REGISTERED) return this.read(event);
    known.status = event.toStatus || known.status;
    known.contentLength = event.contentLength;
    known.updateTime = event.time;
    if (event.kind === EventKind.STATUS_CHANGED && event.detail) known.error = event.detail;
    if (event.kind === EventKind.UNREGISTERED) known.monitor = undefined;
    this.notify(known, event);
  }

  private async read(event: Event): Promise<void> {
    const id = event.messageId;
    if (this.reading.has(id)) return void this.readAgain.add(id); // it changed while being read
    this.reading.add(id);
    try {
      const { message } = await this.api.polling.showMessage({ messageId: id });
      if (message) this.messages.set(id, message), this.notify(message, event);
    } catch {
      // Gone already (or the session ended): the table simply does not show it.
    } finally {
      this.reading.delete(id);
      if (this.readAgain.delete(id)) void this.read(event);
    }
  }

  private notify(message?: Message, event?: Event): void {
    for (const l of this.listeners) l(message, event);
  }
}

// An event read while the list loaded may be fresher than the list's row.
function isNewer(a: Message | undefined, b: Message): boolean {
  return Boolean(a?.updateTime && b.updateTime && timestampMs(a.updateTime) > timestampMs(b.updateTime));
}
