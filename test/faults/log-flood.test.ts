// A client resetting its streams is not a daemon error, and no error floods the log (README "Reliability",
// row 13): 5,000 stream resets (watches and unary calls, reset with CANCEL and with other
// codes, before and after their first response) leave a bounded number of log lines; the log
// rotates at its size cap. Prints one line of figures.
import fs from "node:fs";
import http2 from "node:http2";
import path from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WatchMessageRequestSchema, WatchMessagesRequestSchema, ShowMessageRequestSchema } from "../../gen/claude_comms/v1/polling_service_pb.js";
import { connectClients, type TestClients } from "../helpers/clients.js";
import { startDaemonProcess, type DaemonProcess } from "../helpers/daemon-process.js";
import { makeTempHome } from "../helpers/temp-home.js";
import { figures, seeded, sleep } from "./lib/kit.js";
import { openStream, rawSession } from "./lib/raw.js";

const RESETS = Number(process.env.RESETS) || 5000;
const BATCH = 50;
const CODES = [http2.constants.NGHTTP2_CANCEL, http2.constants.NGHTTP2_INTERNAL_ERROR, http2.constants.NGHTTP2_REFUSED_STREAM, http2.constants.NGHTTP2_NO_ERROR];

/** Log lines of a file counted by level, and the distinct warnings and errors. */
function levels(file: string): { counts: Record<string, number>; kinds: Set<string> } {
  const counts: Record<string, number> = {};
  const kinds = new Set<string>();
  for (const line of fs.readFileSync(file, "utf8").split("\n").filter(Boolean)) {
    const entry = JSON.parse(line) as { level: string; msg: string; err?: { message?: string } };
    counts[entry.level] = (counts[entry.level] ?? 0) + 1;
    if (entry.level === "warn" || entry.level === "error") kinds.add(`${entry.level} ${entry.msg}: ${entry.err?.message ?? ""}`);
  }
  return { counts, kinds };
}

describe("log flooding", () => {
  const temp = makeTempHome("ccf-log-");
  let daemon: DaemonProcess;
  let c: TestClients;
  const log = () => path.join(temp.home, "daemon.log");

  beforeAll(async () => {
    daemon = await startDaemonProcess(temp.home, ["--interval", "0.1", "--heartbeat", "50ms"]);
    c = connectClients(daemon.socket);
  });

  afterAll(async () => {
    await daemon?.stop();
    temp.cleanup();
  });

  it(`logs ${RESETS.toLocaleString("en")} stream resets in a bounded number of lines, and keeps answering`, async () => {
    await c.messages.createMessage({ threadId: "lf", messageId: "lf-1", content: "x" });
    const before = fs.readFileSync(log(), "utf8").split("\n").filter(Boolean).length;
    const rng = seeded(7);
    const bodies: Array<[string, Uint8Array]> = [
      ["/claude_comms.v1.PollingService/WatchMessage", toBinary(WatchMessageRequestSchema, create(WatchMessageRequestSchema, { messageId: "lf-1" }))],
      ["/claude_comms.v1.PollingService/WatchMessages", toBinary(WatchMessagesRequestSchema, create(WatchMessagesRequestSchema, { threadId: "lf" }))],
      ["/claude_comms.v1.PollingService/ShowMessage", toBinary(ShowMessageRequestSchema, create(ShowMessageRequestSchema, { messageId: "lf-1", includeContent: true }))],
    ];
    const started = performance.now();
    for (let done = 0; done < RESETS; done += BATCH) {
      const { session, socket } = rawSession(daemon.socket);
      await Promise.all(
        Array.from({ length: BATCH }, async (_, i) => {
          const [route, body] = bodies[(done + i) % bodies.length]!;
          const stream = await openStream(session, route, body, rng.int(2) === 0);
          if (rng.int(2) === 0) await sleep(rng.int(20));
          stream.close(CODES[rng.int(CODES.length)]);
        }),
      );
      // Every fifth batch leaves by destroying its socket instead of closing the session.
      if ((done / BATCH) % 5 === 4) socket.destroy();
      else session.close();
    }
    const elapsedS = (performance.now() - started) / 1000;
    const status = await c.polling.getDaemonStatus({});
    await sleep(500);
    const { counts, kinds } = levels(log());
    const lines = Object.values(counts).reduce((a, b) => a + b, 0) - before;
    figures("log-flood", { resets: RESETS, seconds: elapsedS.toFixed(1), newLines: lines, byLevel: counts, logBytes: fs.statSync(log()).size });
    expect([...kinds]).toEqual([]);
    expect(status.pid).toBe(daemon.pid);
    expect(counts.error ?? 0).toBe(0);
    expect(lines).toBeLessThan(50);
  }, 180_000);

  it("rotates the log at its size cap, keeping the set number of old files, all 0600", async () => {
    const home = path.join(temp.home, "rotating");
    const small = await startDaemonProcess(home, ["--log-level", "debug", "--log-max-bytes", "20000", "--log-files", "2"]);
    try {
      const { session } = rawSession(small.socket);
      const body = toBinary(ShowMessageRequestSchema, create(ShowMessageRequestSchema, { messageId: "nope" }));
      // Each refused call (NOT_FOUND) is a debug line: enough of them to rotate a few times.
      for (let i = 0; i < 600; i += BATCH) {
        await Promise.all(Array.from({ length: BATCH }, async () => (await openStream(session, "/claude_comms.v1.PollingService/ShowMessage", body, true)).close()));
      }
      session.close();
      const status = await connectClients(small.socket).polling.getDaemonStatus({});
      const files = fs.readdirSync(home).filter((f) => f.startsWith("daemon.log")).sort();
      const sizes = Object.fromEntries(files.map((f) => [f, fs.statSync(path.join(home, f)).size]));
      const modes = new Set(files.map((f) => (fs.statSync(path.join(home, f)).mode & 0o777).toString(8)));
      figures("log-rotation", { capBytes: 20000, keep: 2, files: sizes, modes: [...modes] });
      expect(status.pid).toBe(small.pid);
      expect(files).toEqual(["daemon.log", "daemon.log.1", "daemon.log.2"]);
      for (const size of Object.values(sizes)) expect(size).toBeLessThan(20000 + 1000);
      expect([...modes]).toEqual(["600"]);
    } finally {
      await small.stop();
    }
  }, 120_000);
});
