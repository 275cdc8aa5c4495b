import { readFileSync } from "node:fs";
import path from "node:path";
import { AskRunner } from "../src/asks/ask-runner.js";
import { getMessage } from "../src/store/messages.js";
import { storeInternals } from "../src/store/internal.js";
import { openStore, type Store } from "../src/store/open-store.js";
import { removeDir, tempDir } from "./lib/cleanup.js";
import { info, type Figure } from "./lib/figure.js";
import type { BenchOptions } from "./lib/options.js";
import { round } from "./lib/stats.js";

/*
 * What streaming an answer costs the store (issue 12): an agent prints a 200 KB answer as
 * Claude Code does with --include-partial-messages, in 20-byte text_delta lines, and the
 * ask runner (in-process, the real AskRunner on a real SQLite file) coalesces them into
 * appends (at most every 50 ms or 4 KiB). Counted: the store writes (statements and
 * transactions) for the answer, and the bytes the process wrote to disk (/proc/self/io
 * write_bytes: WAL and checkpoints) per byte of answer. Two paces: as fast as the pipe takes
 * them, and 20 KB/s (a fast model: 5 deltas every 5 ms).
 */

const ANSWER_BYTES = 200_000;
const DELTA_BYTES = 20;

/** The stand-in agent: prints the answer as stream-json partial messages, then the result. */
const AGENT = `
const [bytes, delta, burst, pauseMs] = ["BYTES", "DELTA", "BURST", "PAUSE_MS"].map((k) => Number(process.env["BENCH_" + k]));
const w = (o) => new Promise((r) => process.stdout.write(JSON.stringify(o) + "\\n", r));
const piece = "x".repeat(delta - 1) + "\\n";
(async () => {
  await w({ type: "system", subtype: "init", session_id: "bench" });
  await w({ type: "stream_event", event: { type: "message_start", message: { id: "m1" } } });
  await w({ type: "stream_event", event: { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } } });
  for (let i = 0; i < bytes / delta; i++) {
    await w({ type: "stream_event", event: { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: piece } } });
    if (pauseMs && i % burst === burst - 1) await new Promise((r) => setTimeout(r, pauseMs));
  }
  await w({ type: "assistant", message: { id: "m1", content: [{ type: "text", text: piece.repeat(bytes / delta) }] } });
  await w({ type: "result", subtype: "success", is_error: false, num_turns: 1, session_id: "bench" });
})();`;

/** Runs the ask-stream benchmark (informational figures). */
export async function askStream(options: BenchOptions): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const [pace, burst, pauseMs] of [["unpaced", 1, 0], ["20kbps", 5, 5]] as const) {
    const result = await oneAnswer(burst, pauseMs);
    options.log(
      `${pace}: ${result.writes} store writes (${result.appends} appends) for ${ANSWER_BYTES} bytes in ${ANSWER_BYTES / DELTA_BYTES} deltas, ` +
        `${result.diskBytesPerByte} disk bytes written per answer byte, ${result.seconds} s`,
    );
    figures.push(
      info(`ask_stream_${pace}_store_writes`, result.writes, "writes/answer", { appends: result.appends, answerBytes: ANSWER_BYTES, deltaBytes: DELTA_BYTES, seconds: result.seconds }),
      info(`ask_stream_${pace}_disk_bytes_per_answer_byte`, result.diskBytesPerByte, "bytes/byte", { diskBytes: result.diskBytes }),
    );
  }
  return figures;
}

async function oneAnswer(burst: number, pauseMs: number) {
  const dir = tempDir();
  const store = await openStore({ path: path.join(dir, "comms.db") });
  let transactions = 0;
  let statements = 0;
  // Count on the store's own entry points (the append is the internal single statement).
  const inner = storeInternals(store);
  const writeStatement = inner.writeStatement.bind(inner);
  inner.writeStatement = (sql, bindings) => (statements++, writeStatement(sql, bindings));
  const write = store.write.bind(store);
  store.write = ((fn, options) => (transactions++, write(fn, options))) as Store["write"];
  const runner = new AskRunner({
    store,
    events: () => () => undefined,
    daemonId: "bench",
    agentCommand: [process.execPath, "-e", AGENT, "--"],
    maxAgents: 1,
    maxContentBytes: 4 * 1024 * 1024,
    onError: (message) => process.stderr.write(`${message}\n`),
  });
  try {
    const env = { BENCH_BYTES: String(ANSWER_BYTES), BENCH_DELTA: String(DELTA_BYTES), BENCH_BURST: String(burst), BENCH_PAUSE_MS: String(pauseMs) };
    const module = { name: "m", directory: dir, systemPrompt: "", agentCommand: [], agentSettings: { env }, updatedAt: 0 };
    const before = diskWrites();
    const t0 = performance.now();
    const ids = await runner.start({ from: "bench", module, question: "q", threadId: "", timeoutMs: 120_000, metadata: null, newSession: true });
    let message = await getMessage(store.reader, ids.responseId);
    while (message.status === "pending" || message.status === "processing") {
      await new Promise((r) => setTimeout(r, 50));
      message = await getMessage(store.reader, ids.responseId);
    }
    if (message.status !== "complete" || message.contentLength !== ANSWER_BYTES) {
      throw new Error(`the bench answer ended ${message.status} with ${message.contentLength} bytes: ${message.error}`);
    }
    const seconds = round((performance.now() - t0) / 1000, 2);
    const diskBytes = diskWrites() - before;
    // The transactions: the ask, its start, the result step and the outcome; the appends are statements.
    return { writes: statements + transactions, appends: statements, diskBytes, diskBytesPerByte: round(diskBytes / ANSWER_BYTES, 2), seconds };
  } finally {
    await runner.close();
    await store.close();
    removeDir(dir);
  }
}

/** Bytes this process caused to be written to storage so far. */
function diskWrites(): number {
  const io = readFileSync("/proc/self/io", "utf8");
  return Number(/^write_bytes: (\d+)$/m.exec(io)?.[1] ?? 0);
}
