import type { Message } from "../../../../gen/claude_comms/v1/message_pb.js";
import type { ShowMessageResponse } from "../../../../gen/claude_comms/v1/polling_service_pb.js";
import type { Api } from "./api.js";

/**
 * Follows one message's content as it grows: each refresh reads only the bytes after those
 * already shown (ShowMessage with `content_offset`), one read at a time, a burst of events
 * coalesced into one more read.
 */
export class ContentFollower {
  text = "";
  private offset = 0n;
  private busy = false;
  private again = false;
  private closed = false;

  constructor(
    private readonly api: Api,
    readonly messageId: string,
    private readonly onRead: (text: string, message: Message, response: ShowMessageResponse) => void,
  ) {}

  /** Reads what is new; resolves once the content shown is current. */
  async refresh(): Promise<void> {
    if (this.busy) return void (this.again = true);
    this.busy = true;
    try {
      do {
        this.again = false;
        await this.readOnce();
      } while (this.again && !this.closed);
    } finally {
      this.busy = false;
    }
  }

  /** Stops reporting reads (the view went away). */
  close(): void {
    this.closed = true;
  }

  private async readOnce(): Promise<void> {
    const response = await this.api.polling.showMessage({ messageId: this.messageId, includeContent: true, contentOffset: this.offset });
    const message = response.message;
    if (!message || this.closed) return;
    if (message.contentLength < this.offset) {
      // Shrunk (rewritten): read it whole again.
      this.offset = 0n;
      this.text = "";
      return this.readOnce();
    }
    this.text += message.content;
    this.offset = message.contentLength;
    this.onRead(this.text, message, response);
  }
}
