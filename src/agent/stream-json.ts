import { StringDecoder } from "node:string_decoder";
import {
  fatalApiError, isRecord, resultDetail, retryDetail, toolErrorDetail, toolUseDetail,
  type AgentStep, type FatalApiError,
} from "./agent-steps.js";
import { AnswerText, type TextChange } from "./answer-text.js";

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
 * One thing the parser recognised: answer text to deliver (or an abandoned tail to take
 * back), the session starting, a step the agent took, an API error retrying cannot fix,
 * or the final result.
 */
export type StreamEvent =
  | TextChange
  | { kind: "init"; sessionId?: string; cwd?: string }
  | { kind: "step"; step: AgentStep }
  | { kind: "fatal"; error: FatalApiError }
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

/** Line types that carry nothing for the daemon. */
const SILENT_TYPES = new Set(["rate_limit_event"]);

/**
 * Incremental parser of Claude Code's `stream-json` output (with or without
 * `--include-partial-messages`). Feed it raw stdout chunks with {@link push} and call
 * {@link end} at EOF; both return the events recognised so far and never throw, whatever
 * the input.
 *
 * The answer is built by {@link AnswerText} (streamed deltas, confirmed by the complete
 * `assistant` lines). A line that is not JSON, or JSON of an unknown shape, is kept as text
 * (the raw line plus "\n") so output of a non-Claude agent is never lost. When a successful
 * result arrives and no assistant text was seen, its `result` string becomes the answer.
 * Tool calls, failed tool results, API retries and the result are steps.
 */
export class StreamJsonParser {
  private readonly decoder = new StringDecoder("utf8");
  private readonly maxLineChars: number;
  private readonly answer = new AnswerText();
  private pending = "";

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
      this.answer.plain(this.pending, events as TextChange[]);
      this.pending = "";
    }
    return events;
  }

  private parseLine(rawLine: string, events: StreamEvent[]): void {
    const line = rawLine.endsWith("\r") ? rawLine.slice(0, -1) : rawLine;
    const value = tryParseJson(line);
    if (!isRecord(value) || !this.handleRecord(value, events)) {
      this.answer.plain(`${line}\n`, events as TextChange[]);
    }
  }

  /** Handles a JSON object; false when its shape is unknown (the caller keeps it as text). */
  private handleRecord(record: Record<string, unknown>, events: StreamEvent[]): boolean {
    switch (record["type"]) {
      case "system":
        this.handleSystem(record, events);
        return true;
      case "stream_event":
        this.handlePartial(record["event"], events);
        return true;
      case "assistant":
        return this.handleAssistant(record, events);
      case "user":
        this.handleUser(record, events);
        return true;
      case "result":
        this.handleResult(record, events);
        return true;
      default:
        return typeof record["type"] === "string" && SILENT_TYPES.has(record["type"]);
    }
  }

  private handleSystem(record: Record<string, unknown>, events: StreamEvent[]): void {
    if (record["subtype"] === "init") {
      events.push({ kind: "init", sessionId: str(record["session_id"]), cwd: str(record["cwd"]) });
    } else if (record["subtype"] === "api_retry") {
      this.answer.settle(events as TextChange[]);
      events.push({ kind: "step", step: { kind: "retry", detail: retryDetail(record) } });
      const fatal = fatalApiError(record);
      if (fatal) events.push({ kind: "fatal", error: fatal });
    }
  }

  /** The API's raw events (`--include-partial-messages`): text as it is written. */
  private handlePartial(event: unknown, events: StreamEvent[]): void {
    if (!isRecord(event)) return;
    const out = events as TextChange[];
    if (event["type"] === "message_start") {
      const message = event["message"];
      this.answer.messageStart(isRecord(message) ? str(message["id"]) : undefined, out);
    } else if (event["type"] === "content_block_start") {
      this.answer.blockStart();
    } else if (event["type"] === "content_block_delta") {
      const delta = event["delta"];
      if (isRecord(delta) && delta["type"] === "text_delta" && typeof delta["text"] === "string") this.answer.delta(delta["text"], out);
    }
  }

  private handleAssistant(record: Record<string, unknown>, events: StreamEvent[]): boolean {
    const message = record["message"];
    if (!isRecord(message) || !Array.isArray(message["content"])) return false;
    // The CLI's own error notice ("Invalid API key · …") is not the model's answer: the
    // result line carries it as the error.
    if (message["model"] === "<synthetic>" || record["is_api_error_message"] === true) return true;
    const messageId = str(message["id"]);
    for (const block of message["content"]) {
      if (!isRecord(block)) continue;
      if (block["type"] === "text" && typeof block["text"] === "string") this.answer.whole(messageId, block["text"], events as TextChange[]);
      else if (block["type"] === "tool_use" && typeof block["name"] === "string") {
        events.push({ kind: "step", step: { kind: "tool_use", detail: toolUseDetail(block["name"], block["input"]) } });
      }
    }
    return true;
  }

  private handleUser(record: Record<string, unknown>, events: StreamEvent[]): void {
    const message = record["message"];
    const content = isRecord(message) ? message["content"] : undefined;
    if (!Array.isArray(content)) return;
    for (const block of content) {
      if (isRecord(block) && block["type"] === "tool_result" && block["is_error"] === true) {
        events.push({ kind: "step", step: { kind: "tool_error", detail: toolErrorDetail(block["content"]) } });
      }
    }
  }

  private handleResult(record: Record<string, unknown>, events: StreamEvent[]): void {
    const result = resultFromRecord(record);
    this.answer.settle(events as TextChange[]);
    if (!result.isError && !this.answer.sawAssistantText && result.text) {
      this.answer.plain(result.text, events as TextChange[]);
    }
    events.push({ kind: "step", step: { kind: "result", detail: resultDetail(result) } });
    events.push({ kind: "result", result });
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

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}
