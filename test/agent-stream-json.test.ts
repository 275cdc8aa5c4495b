import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { StreamJsonParser, type AgentResult, type StreamEvent } from "../src/agent/stream-json.js";

const assistant = (text: string, id = "msg_1"): string =>
  JSON.stringify({ type: "assistant", message: { id, content: [{ type: "text", text }] }, session_id: "s1" });

const resultLine = (fields: Record<string, unknown> = {}): string =>
  JSON.stringify({ type: "result", subtype: "success", is_error: false, result: "final", session_id: "s1", total_cost_usd: 0.5, duration_ms: 1200, num_turns: 3, ...fields });

/** Feeds the chunks in order and returns every event, the end included. */
function parse(chunks: Array<string | Buffer>, parser = new StreamJsonParser()): StreamEvent[] {
  return [...chunks.flatMap((chunk) => parser.push(chunk)), ...parser.end()];
}

function textOf(events: StreamEvent[]): string {
  return events.map((event) => (event.kind === "text" ? event.text : "")).join("");
}

function resultOf(events: StreamEvent[]): AgentResult | undefined {
  return events.flatMap((event) => (event.kind === "result" ? [event.result] : []))[0];
}

/** Splits bytes at the given cut points (sorted, deduplicated, in range). */
function cut(bytes: Buffer, points: number[]): Buffer[] {
  const sorted = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let start = 0;
  for (const point of [...sorted, bytes.length]) {
    pieces.push(bytes.subarray(start, point));
    start = point;
  }
  return pieces;
}

describe("StreamJsonParser", { timeout: 30_000 }, () => {
  it("takes the answer from assistant text blocks and ignores tool use and tool results", () => {
    const events = parse([
      `${JSON.stringify({ type: "system", subtype: "init", session_id: "s1", cwd: "/m" })}\n`,
      `${JSON.stringify({ type: "assistant", message: { id: "m0", content: [{ type: "tool_use", id: "t", name: "Read", input: {} }] } })}\n`,
      `${JSON.stringify({ type: "user", message: { content: [{ type: "tool_result", content: "secret file" }] } })}\n`,
      `${assistant("Hello, ")}\n${assistant("world.")}\n`,
      `${resultLine()}\n`,
    ]);
    expect(events[0]).toEqual({ kind: "init", sessionId: "s1", cwd: "/m" });
    expect(textOf(events)).toBe("Hello, world.");
    expect(resultOf(events)).toEqual({
      isError: false, subtype: "success", text: "final", sessionId: "s1", totalCostUsd: 0.5, durationMs: 1200, numTurns: 3,
    });
  });

  it("separates the text of different turns with a blank line", () => {
    const events = parse([`${assistant("Let me look.", "m1")}\n${assistant("The answer is 4.", "m2")}\n`]);
    expect(textOf(events)).toBe("Let me look.\n\nThe answer is 4.");
    const endsWithNewline = parse([`${assistant("Line.\n", "m1")}\n${assistant("Next", "m2")}\n`]);
    expect(textOf(endsWithNewline)).toBe("Line.\n\nNext");
  });

  it("reassembles UTF-8 split inside a character, byte by byte", () => {
    const line = `${assistant("naïve café 你好 🚀👩‍💻")}\n`;
    const bytes = Buffer.from(line);
    const events = parse([...bytes].map((byte) => Buffer.from([byte])));
    expect(textOf(events)).toBe("naïve café 你好 🚀👩‍💻");
  });

  it("handles CRLF line endings, for JSON and plain lines alike", () => {
    const events = parse([`${assistant("a")}\r\nplain\r\n${resultLine()}\r\n`]);
    expect(textOf(events)).toBe("aplain\n");
    expect(resultOf(events)?.text).toBe("final");
  });

  it("parses a last line that has no newline", () => {
    const events = parse([`${assistant("x")}\n`, resultLine({ result: "done" })]);
    expect(resultOf(events)?.text).toBe("done");
    expect(parse(["no newline at all"]).map((e) => e)).toEqual([{ kind: "text", text: "no newline at all\n" }]);
  });

  it("joins a JSON line split across chunks", () => {
    const line = `${assistant("split me")}\n`;
    expect(textOf(parse([line.slice(0, 10), line.slice(10, 40), line.slice(40)]))).toBe("split me");
  });

  it("keeps non-JSON lines and JSON of unknown shape as raw text", () => {
    const lines = [
      "Warning: something odd", "{not json", "null", "42", "[1,2]", '"a string"', "",
      '{"type":"mystery","data":1}', '{"no_type":true}', '{"type":"assistant"}',
      '{"type":"assistant","message":{"content":"not an array"}}',
    ];
    expect(textOf(parse([lines.map((l) => `${l}\n`).join("")]))).toBe(lines.map((l) => `${l}\n`).join(""));
  });

  it("ignores known silent lines (user, stream_event) and non-init system lines", () => {
    const events = parse([
      '{"type":"user","message":{}}\n{"type":"stream_event","event":{}}\n{"type":"system","subtype":"compact_boundary"}\n',
    ]);
    expect(events).toEqual([]);
  });

  it("uses the result text as the answer when no assistant text streamed", () => {
    expect(textOf(parse([`${resultLine({ result: "only here" })}\n`]))).toBe("only here");
    expect(textOf(parse([`${assistant("streamed")}\n${resultLine({ result: "also in result" })}\n`]))).toBe("streamed");
    expect(textOf(parse([`warning\n${resultLine({ result: "answer" })}\n`]))).toBe("warning\nanswer");
  });

  it("does not make an error result the answer, and marks it as an error", () => {
    const events = parse([`${resultLine({ is_error: true, result: "API Error: overloaded" })}\n`]);
    expect(textOf(events)).toBe("");
    expect(resultOf(events)).toMatchObject({ isError: true, text: "API Error: overloaded" });
    const bySubtype = parse([`${JSON.stringify({ type: "result", subtype: "error_max_turns" })}\n`]);
    expect(resultOf(bySubtype)).toMatchObject({ isError: true, subtype: "error_max_turns" });
  });

  it("tolerates result fields of the wrong type, and reads the older cost_usd", () => {
    const events = parse([`${JSON.stringify({ type: "result", is_error: "yes", result: 7, cost_usd: 0.2, num_turns: "3" })}\n`]);
    expect(resultOf(events)).toEqual({
      isError: false, subtype: undefined, text: undefined, sessionId: undefined, totalCostUsd: 0.2, durationMs: undefined, numTurns: undefined,
    });
  });

  it("passes on an endless line as text instead of buffering it forever", () => {
    const parser = new StreamJsonParser({ maxLineChars: 100 });
    const events = parser.push("x".repeat(150));
    expect(textOf(events)).toBe("x".repeat(150));
    expect(textOf(parser.push(`more\n${assistant("ok")}\n`))).toBe("more\nok");
  });

  it("keeps invalid UTF-8 as replacement characters rather than failing", () => {
    const events = parse([Buffer.from([0x66, 0xff, 0xfe, 0x0a, 0xe4, 0xbd])]);
    expect(textOf(events)).toBe("f\ufffd\ufffd\n\ufffd\n");
  });

  it("never throws, and yields the same events however the bytes are cut", () => {
    const line = fc.oneof(
      fc.string({ unit: "binary", maxLength: 40 }),
      fc.string({ unit: "grapheme", maxLength: 20 }).map((text) => assistant(text)),
      fc.constantFrom(resultLine(), '{"type":"user"}', "{", "}", '{"type":"assistant","message":null}', "\r"),
    );
    const input = fc.record({
      lines: fc.array(line, { maxLength: 12 }),
      eol: fc.constantFrom("\n", "\r\n"),
      trailing: fc.boolean(),
      cuts: fc.array(fc.nat(), { maxLength: 8 }),
    });
    fc.assert(fc.property(input, ({ lines, eol, trailing, cuts }) => {
      const bytes = Buffer.from(lines.join(eol) + (trailing ? eol : ""));
      const whole = parse([bytes]);
      const pieces = parse(cut(bytes, cuts));
      expect(textOf(pieces)).toBe(textOf(whole));
      expect(pieces.filter((e) => e.kind !== "text")).toEqual(whole.filter((e) => e.kind !== "text"));
    }), { numRuns: 300 });
  });

  it("survives random bytes and deeply nested JSON", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      expect(() => parse([Buffer.from(bytes)])).not.toThrow();
    }), { numRuns: 200 });
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    const nestedObject = `${'{"a":'.repeat(50_000)}1${"}".repeat(50_000)}`;
    expect(() => parse([`${deep}\n${nestedObject}\n`])).not.toThrow();
  });
});

/** A transcript of the real Claude Code 2.1.328 (test/fixtures/claude-code), as the daemon reads it. */
function transcript(name: string): StreamEvent[] {
  const bytes = readFileSync(new URL(`./fixtures/claude-code/${name}.jsonl`, import.meta.url));
  return parse(cut(bytes, [7, 100, 1000, 1001, 5000]));
}

/** The answer after applying text and retract events in order. */
function answerOf(events: StreamEvent[]): string {
  let text = "";
  for (const event of events) {
    if (event.kind === "text") text += event.text;
    else if (event.kind === "retract") text = text.slice(0, text.length - event.text.length);
  }
  return text;
}

const steps = (events: StreamEvent[]) => events.flatMap((e) => (e.kind === "step" ? [`${e.step.kind}: ${e.step.detail}`] : []));

describe("StreamJsonParser on the real CLI's lines (--include-partial-messages)", () => {
  it("streams the text deltas as they come, and the assistant line confirms them without repeating", () => {
    const events = transcript("text-streamed");
    const texts = events.filter((e) => e.kind === "text");
    expect(texts.length).toBeGreaterThan(1); // one chunk per cut piece, not one at the end
    expect(answerOf(events)).toBe("The quick brown fox jumps over the lazy dog, twice: the quick brown fox jumps over the lazy dog.");
    expect(steps(events)).toEqual([expect.stringMatching(/^result: 1 turn, \$\d+\.\d{4}, \d+\.\d s$/)]);
  });

  it("joins the turns around a tool call and records the call as a step", () => {
    const events = transcript("tool-use");
    expect(answerOf(events)).toMatch(/\n\nIt printed hi\.$/);
    expect(steps(events)[0]).toBe("tool_use: Bash: echo hi");
    expect(steps(events).at(-1)).toMatch(/^result: 2 turns/);
  });

  it("takes back the deltas of a message whose connection was cut; the retry is the answer", () => {
    const events = transcript("connection-cut-then-retry");
    expect(events.some((e) => e.kind === "retract")).toBe(true);
    expect(answerOf(events)).toBe("second try worked");
    expect(steps(events)[0]).toMatch(/^retry: attempt 1\/10: unknown, next try in \d+\.\d s$/);
  });

  it("flags a 401 retry as fatal, and never takes the CLI's synthetic error notice for the answer", () => {
    const events = transcript("auth-401-max-retries-2");
    expect(events.find((e) => e.kind === "fatal")).toEqual({ kind: "fatal", error: { status: 401, error: "authentication_failed" } });
    expect(answerOf(events)).toBe("");
    const forbidden = transcript("permission-403");
    expect(answerOf(forbidden)).toBe("");
    expect(resultOf(forbidden)).toMatchObject({ isError: true, text: expect.stringContaining("API Error: 403") });
  });

  it("records a failed tool call as a tool_error step", () => {
    const events = transcript("tool-needs-approval");
    expect(steps(events)).toContainEqual(expect.stringMatching(/^tool_error: This command requires approval/));
  });
});
