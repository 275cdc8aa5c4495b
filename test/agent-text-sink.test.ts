import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { TextSink, type TextSinkOptions } from "../src/agent/text-sink.js";

/** A sink whose deliveries are recorded; errors are collected. */
function makeSink(options: Partial<TextSinkOptions> = {}): { sink: TextSink; calls: string[]; errors: unknown[] } {
  const calls: string[] = [];
  const errors: unknown[] = [];
  const sink = new TextSink({
    deliver: async (text) => void calls.push(text),
    intervalMs: 200,
    maxBytes: 1024,
    onError: (error) => void errors.push(error),
    ...options,
  });
  return { sink, calls, errors };
}

describe("TextSink", { timeout: 5000 }, () => {
  it("delivers the first text at once, then at most once per interval", async () => {
    const { sink, calls } = makeSink();
    sink.push("a");
    await sleep(20);
    expect(calls).toEqual(["a"]);
    sink.push("b");
    sink.push("c");
    await sleep(80);
    expect(calls).toEqual(["a"]);
    await sleep(200);
    expect(calls).toEqual(["a", "bc"]);
    expect(sink.delivered).toBe("abc");
  });

  it("delivers at once when a batch reaches maxBytes (counted in UTF-8 bytes)", async () => {
    const { sink, calls } = makeSink({ maxBytes: 8 });
    sink.push("x");
    await sleep(10);
    sink.push("é".repeat(4));
    await sleep(10);
    expect(calls).toEqual(["x", "éééé"]);
  });

  it("drain flushes what is queued and waits for the call in flight", async () => {
    let resolveSlow!: () => void;
    const calls: string[] = [];
    const { sink } = makeSink({
      deliver: async (text) => {
        if (calls.length === 0) await new Promise<void>((resolve) => (resolveSlow = resolve));
        calls.push(text);
      },
    });
    sink.push("first");
    await sleep(10);
    sink.push("second");
    const drained = sink.drain();
    await sleep(10);
    expect(calls).toEqual([]);
    resolveSlow();
    await drained;
    expect(calls).toEqual(["first", "second"]);
  });

  it("stops after a failed delivery and reports it once", async () => {
    const { sink, errors } = makeSink({ deliver: async () => Promise.reject(new Error("disk full")) });
    sink.push("a");
    await sink.drain();
    sink.push("b");
    await sink.drain();
    expect(errors.map((error) => (error as Error).message)).toEqual(["disk full"]);
    expect(sink.error).toBeDefined();
    expect(sink.delivered).toBe("");
  });

  it("waits for ready before the first delivery, and fails if it rejects", async () => {
    const order: string[] = [];
    const ready = sleep(50).then(() => void order.push("ready"));
    const { sink } = makeSink({ ready, deliver: async (text) => void order.push(text) });
    sink.push("t");
    await sink.drain();
    expect(order).toEqual(["ready", "t"]);

    const failing = makeSink({ ready: Promise.reject(new Error("no start")) });
    await sleep(0);
    failing.sink.push("t");
    await failing.sink.drain();
    expect(failing.calls).toEqual([]);
    expect(failing.errors.map((error) => (error as Error).message)).toEqual(["no start"]);
  });

  it("runs queued work in order with the text: after what was pushed before it, before what follows", async () => {
    const order: string[] = [];
    const { sink } = makeSink({ deliver: async (text) => void order.push(`text ${text}`) });
    sink.push("a");
    sink.push("b");
    sink.then(async () => void order.push("step"));
    sink.push("c");
    await sink.drain();
    expect(order).toEqual(["text ab", "step", "text c"]);
  });

  it("retracts the tail: from the buffer while it waits, else by truncating what was delivered", async () => {
    const truncated: string[] = [];
    const { sink, calls } = makeSink({ truncate: async (kept) => void truncated.push(kept) });
    sink.push("keep ");
    await sleep(20); // delivered at once (the first batch)
    sink.push("drop");
    sink.retract("drop");
    await sink.drain();
    expect(calls).toEqual(["keep "]);
    expect(truncated).toEqual([]);
    sink.push("more");
    await sink.drain();
    sink.retract("e more");
    await sink.drain();
    expect(truncated).toEqual(["kee"]);
    expect(sink.delivered).toBe("kee");
  });
});
