import { StringDecoder } from "node:string_decoder";

/**
 * The final `result` line of a Claude Code run (`--output-format stream-json`), with the
 * fields the daemon records. Absent fields were missing or of an unexpected type.
 */
export interface AgentResult {
  /** `is_error: true`, or a subtype that starts with "error" (`error_max_turns`, …). */
  isError: boolean;
  /** "success", "error_during_execution", "error_max_turns", … as the agent reported it. */
  subtype?: string;
  /** The final answer on success; the error message on failure. */
  text?: string;
  sessionId?: string;
  totalCostUsd?: number;
  durationMs?: number;
  numTurns?: number;
}

/**
 * One thing the parser recognised: answer text to deliver, the session starting, or the
 * final result.
 */
export type StreamEvent =
  | { kind: "text"; text: string }
  | { kind: "init"; sessionId?: string; cwd?: string }
  | { kind: "result"; result: AgentResult };

/** Options of {@link StreamJsonParser}. */
export interface StreamJsonParserOptions {
  /**
   * A line longer than this (in UTF-16 units) without a newline is passed on as text so a
   * misbehaving agent cannot grow the buffer without bound. Default 64 Mi: real lines carry
   * whole tool results (file contents) and may be several MiB.
   */
  maxLineChars?: number;
}

/** Line types that carry nothing for the answer (tool results, partial-message deltas, …). */
const SILENT_TYPES = new Set(["user", "stream_event", "rate_limit_event"]);

/**
 * Incremental parser of Claude Code's `stream-json` output. Feed it raw stdout chunks with
 * {@link push} and call {@link end} at EOF; both return the events recognised so far and
 * never throw, whatever the input.
 *
 * Text rules: assistant `text` blocks are the answer. Text blocks of different assistant
 * messages (turns separated by tool use) are joined with a blank line, so "Let me look."
 * and "The answer is…" do not run together; blocks of the same message are concatenated
 * verbatim. A line that is not JSON, or JSON of an unknown shape, is kept as text (the raw
 * line plus "\n") so output of a non-Claude agent is never lost. When a successful result
 * arrives and no assistant text was seen, its `result` string becomes the answer text.
 */
export class StreamJsonParser {
  private readonly decoder = new StringDecoder("utf8");
  private readonly maxLineChars: number;
  private pending = "";
  private lastMessageId: string | undefined;
  private lastTextEndsWithNewline = true;
  private sawAssistantText = false;
  private sawAnyText = false;

  /** Creates a parser; see {@link StreamJsonParserOptions}. */
  constructor(options: StreamJsonParserOptions = {}) {
    this.maxLineChars = options.maxLineChars ?? 64 * 1024 * 1024;
  }

  /** Consumes a chunk of stdout (bytes may split UTF-8 sequences and lines anywhere). */
  push(chunk: Buffer | string): StreamEvent[] {
    const text = typeof chunk === "string" ? chunk : this.decoder.write(chunk);
    return this.consume(text, false);
  }

  /** Flushes the last line (which may lack a newline) and any incomplete UTF-8 at EOF. */
  end(): StreamEvent[] {
    return this.consume(this.decoder.end(), true);
  }

  private consume(text: string, atEnd: boolean): StreamEvent[] {
    const events: StreamEvent[] = [];
    this.pending += text;
    let start = 0;
    for (let nl = this.pending.indexOf("\n"); nl !== -1; nl = this.pending.indexOf("\n", start)) {
      this.parseLine(this.pending.slice(start, nl), events);
      start = nl + 1;
    }
    this.pending = this.pending.slice(start);
    if (atEnd && this.pending !== "") {
      this.parseLine(this.pending, events);
      this.pending = "";
    } else if (this.pending.length > this.maxLineChars) {
      // Not a line we could ever parse as JSON in reasonable memory: pass it on as is.
      this.emitText(this.pending, events);
      this.pending = "";
    }
    return events;
  }

  private parseLine(rawLine: string, events: StreamEvent[]): void {
    const line = rawLine.endsWith("\r") ? rawLine.slice(0, -1) : rawLine;
    const value = tryParseJson(line);
    if (!isRecord(value) || !this.handleRecord(value, events)) {
      this.emitText(`${line}\n`, events);
    }
  }

  /** Handles a JSON object; false when its shape is unknown (the caller keeps it as text). */
  private handleRecord(record: Record<string, unknown>, events: StreamEvent[]): boolean {
    const type = record["type"];
    if (type === "system") {
      if (record["subtype"] === "init") {
        events.push({ kind: "init", sessionId: str(record["session_id"]), cwd: str(record["cwd"]) });
      }
      return true;
    }
    if (type === "assistant") return this.handleAssistant(record, events);
    if (type === "result") {
      this.handleResult(record, events);
      return true;
    }
    return typeof type === "string" && SILENT_TYPES.has(type);
  }

  private handleAssistant(record: Record<string, unknown>, events: StreamEvent[]): boolean {
    const message = record["message"];
    if (!isRecord(message) || !Array.isArray(message["content"])) return false;
    const messageId = str(message["id"]);
    for (const block of message["content"]) {
      if (!isRecord(block) || block["type"] !== "text" || typeof block["text"] !== "string") continue;
      if (block["text"] === "") continue;
      const separator = this.separatorBefore(messageId);
      this.emitText(separator + block["text"], events);
      this.sawAssistantText = true;
      this.lastMessageId = messageId;
    }
    return true;
  }

  /** A blank line between turns, unless the text so far already ends a line. */
  private separatorBefore(messageId: string | undefined): string {
    const newTurn = this.sawAnyText && messageId !== undefined && this.lastMessageId !== undefined
      && messageId !== this.lastMessageId;
    if (!newTurn) return "";
    return this.lastTextEndsWithNewline ? "\n" : "\n\n";
  }

  private handleResult(record: Record<string, unknown>, events: StreamEvent[]): void {
    const result = resultFromRecord(record);
    if (!result.isError && !this.sawAssistantText && result.text) {
      this.emitText(result.text, events);
    }
    events.push({ kind: "result", result });
  }

  private emitText(text: string, events: StreamEvent[]): void {
    this.sawAnyText = true;
    this.lastTextEndsWithNewline = text.endsWith("\n");
    const last = events[events.length - 1];
    // Merge adjacent text from one chunk: fewer, larger events for the caller.
    if (last?.kind === "text") last.text += text;
    else events.push({ kind: "text", text });
  }
}

/** Maps a `{"type":"result",…}` object to an {@link AgentResult}, tolerating any shape. */
export function resultFromRecord(record: Record<string, unknown>): AgentResult {
  const subtype = str(record["subtype"]);
  return {
    isError: record["is_error"] === true || (subtype?.startsWith("error") ?? false),
    subtype,
    text: str(record["result"]),
    sessionId: str(record["session_id"]),
    // Older Claude Code versions called the cost `cost_usd`.
    totalCostUsd: num(record["total_cost_usd"]) ?? num(record["cost_usd"]),
    durationMs: num(record["duration_ms"]),
    numTurns: num(record["num_turns"]),
  };
}

function tryParseJson(line: string): unknown {
  // Cheap pre-check: only objects matter, and most non-JSON lines fail it without a throw.
  if (!line.trimStart().startsWith("{")) return undefined;
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}
