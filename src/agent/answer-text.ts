/**
 * What the answer text does next: grow (`text`), or lose its unconfirmed tail (`retract`,
 * the text to remove from the end) when a streamed message was abandoned mid-way.
 */
export type TextChange = { kind: "text"; text: string } | { kind: "retract"; text: string };

interface Block {
  messageId: string;
  /** Text handed out for this block (separator included), from deltas or the whole line. */
  text: string;
  confirmed: boolean;
}

interface Turn {
  sawAnyText: boolean;
  lastMessageId: string | undefined;
  lastTextEndsWithNewline: boolean;
}

/**
 * Builds the answer from Claude Code's two views of it: the `text_delta`s of the partial
 * messages (`--include-partial-messages`: streamed as written) and the complete `assistant`
 * lines (one per content block, after its last delta). Deltas are handed out at once; each
 * `assistant` text block then confirms its streamed block (adding whatever deltas missed) or,
 * when nothing was streamed (an agent without partial messages), is the text itself. A
 * message that ends without its `assistant` line (the connection was cut and the CLI
 * retries) is retracted, so the answer is the text of the turns that happened.
 *
 * Turns (assistant messages separated by tool use) are joined with a blank line; blocks of
 * one message are concatenated verbatim.
 */
export class AnswerText {
  private readonly blocks: Block[] = [];
  private streaming: Block | undefined;
  private messageId: string | undefined;
  private turnStart: Turn | undefined;
  private turn: Turn = { sawAnyText: false, lastMessageId: undefined, lastTextEndsWithNewline: true };

  /** Whether any assistant text (streamed or whole) was handed out. */
  get sawAssistantText(): boolean {
    return this.blocks.length > 0;
  }

  /** Text that is not the model's (a non-JSON line of another agent); counts for separators. */
  plain(text: string, out: TextChange[]): void {
    this.emit(text, out);
  }

  /** `message_start` of a streamed message: an unconfirmed earlier message is abandoned. */
  messageStart(messageId: string | undefined, out: TextChange[]): void {
    this.abandonUnconfirmed(out);
    this.messageId = messageId;
    this.turnStart = { ...this.turn };
  }

  /** A `content_block_start` of type text. */
  blockStart(): void {
    this.streaming = undefined;
  }

  /** A `text_delta`. */
  delta(text: string, out: TextChange[]): void {
    if (text === "" || this.messageId === undefined) return;
    if (!this.streaming) {
      this.streaming = { messageId: this.messageId, text: "", confirmed: false };
      this.blocks.push(this.streaming);
      const separator = this.separatorBefore(this.messageId);
      this.streaming.text += separator;
      text = separator + text;
    }
    this.streaming.text += text;
    this.emit(text, out);
  }

  /** An `assistant` line's text block: confirms the oldest unconfirmed streamed block of its message. */
  whole(messageId: string | undefined, text: string, out: TextChange[]): void {
    if (text === "") return;
    const streamed = this.blocks.find((b) => !b.confirmed && b.messageId === messageId && messageId !== undefined);
    if (!streamed) {
      const block = { messageId: messageId ?? "", text: this.separatorBefore(messageId) + text, confirmed: true };
      this.blocks.push(block);
      this.emit(block.text, out);
      return;
    }
    streamed.confirmed = true;
    const body = streamed.text.slice(streamed.text.length - Math.min(streamed.text.length, text.length));
    // Deltas lost on the way (never seen here): the whole block has them.
    if (text.startsWith(body) && text.length > body.length) this.emit(text.slice(body.length), out);
    if (this.streaming === streamed) this.streaming = undefined;
  }

  /** An API retry or the final result: a message still unconfirmed will not be. */
  settle(out: TextChange[]): void {
    this.abandonUnconfirmed(out);
  }

  private abandonUnconfirmed(out: TextChange[]): void {
    const abandoned = this.blocks.filter((b) => !b.confirmed);
    if (abandoned.length === 0) return;
    this.blocks.splice(0, this.blocks.length, ...this.blocks.filter((b) => b.confirmed));
    out.push({ kind: "retract", text: abandoned.map((b) => b.text).join("") });
    if (this.turnStart) this.turn = this.turnStart;
    this.streaming = undefined;
  }

  /** A blank line between turns, unless the text so far already ends a line. */
  private separatorBefore(messageId: string | undefined): string {
    const { sawAnyText, lastMessageId, lastTextEndsWithNewline } = this.turn;
    this.turn.lastMessageId = messageId;
    const newTurn = sawAnyText && messageId !== undefined && lastMessageId !== undefined && messageId !== lastMessageId;
    if (!newTurn) return "";
    return lastTextEndsWithNewline ? "\n" : "\n\n";
  }

  private emit(text: string, out: TextChange[]): void {
    this.turn.sawAnyText = true;
    this.turn.lastTextEndsWithNewline = text.endsWith("\n");
    const last = out[out.length - 1];
    // Merge adjacent text of one chunk: fewer, larger changes for the caller.
    if (last?.kind === "text") last.text += text;
    else out.push({ kind: "text", text });
  }
}
