// Every stored row stays readable (README "Reliability", row 14): metadata past the depth or size limit is
// INVALID_ARGUMENT on every write path, and rows written straight into comms.db with anything in
// any column (metadata 60 deep, invalid JSON, 1 MB values, blobs, text in time columns) leave
// `poll list --all`, `poll show`, `poll watch`, WatchMessages and `thread show` working for
// everyone, the bad value replaced by a marker and logged once. Prints one line of figures.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { JsonObject } from "@bufbuild/protobuf";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventKind } from "../../gen/claude_comms/v1/message_pb.js";
import { connectClients, type TestClients } from "../helpers/clients.js";
import { CLI_MAIN, startDaemonProcess, type DaemonProcess } from "../helpers/daemon-process.js";
import { moduleClient } from "../helpers/module-clients.js";
import { runProgram } from "../helpers/run.js";
import { makeTempHome } from "../helpers/temp-home.js";
import { codeName, count, figures, sleep } from "./lib/kit.js";

/** JSON nested `depth` levels deep. */
function nested(depth: number): JsonObject {
  let value: JsonObject = { leaf: 1 };
  for (let i = 1; i < depth; i++) value = { a: value };
  return value;
}

const MARKER = "claude_comms_unreadable";

describe("poisoned rows", () => {
  const temp = makeTempHome("ccf-poison-");
  let daemon: DaemonProcess;
  let c: TestClients;
  const db = () => path.join(temp.home, "comms.db");
  const env = { CLAUDE_COMMS_HOME: temp.home, CLAUDE_COMMS_ADDRESS: "", CLAUDE_COMMS_TOKEN: "", CLAUDE_COMMS_TOKEN_FILE: "" };
  const cli = (args: string[]) => runProgram(process.execPath, [CLI_MAIN, ...args], { env, timeoutMs: 30_000 });
  /** Runs a CLI watch for `ms` and stops it (a watch of an unfinished message never ends). */
  const watchFor = (args: string[], ms: number) =>
    new Promise<{ stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI_MAIN, ...args], { env: { ...process.env, ...env } });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      const timer = setTimeout(() => child.kill(), ms);
      child.once("exit", () => (clearTimeout(timer), resolve({ stdout, stderr })));
    });

  beforeAll(async () => {
    daemon = await startDaemonProcess(temp.home, ["--store", `sqlite:${path.join(temp.home, "comms.db")}`, "--interval", "0.1"]);
    c = connectClients(daemon.socket);
  });

  afterAll(async () => {
    await daemon?.stop();
    temp.cleanup();
  });

  it("refuses metadata past the limits on every write path INVALID_ARGUMENT, naming the limit, writing nothing", async () => {
    const modules = moduleClient(c);
    await modules.registerModule({ module: { name: "target", directory: temp.home } });
    const huge = { blob: "x".repeat(70 * 1024) };
    const codes: Record<string, number> = {};
    const messages = new Set<string>();
    for (const metadata of [nested(33), nested(49), huge]) {
      for (const call of [
        () => c.messages.createThread({ threadId: "w-t", metadata }),
        () => c.messages.createMessage({ threadId: "w", messageId: "w-m", metadata }),
        () => modules.askModule({ fromModule: "me", toModule: "target", question: "q?", metadata }),
      ]) {
        const err = await call().then(() => undefined, (e: unknown) => e);
        count(codes, codeName(err));
        if (err) messages.add((err as Error).message.replace(/\d+ (levels|bytes)/, "N $1"));
      }
    }
    const all = await c.polling.listMessages({ all: true, pageSize: 1000 });
    figures("poisoned-writes", { cases: 9, codes, stored: all.messages.length });
    expect(codes).toEqual({ InvalidArgument: 9 });
    expect([...messages].sort()).toEqual([
      "[invalid_argument] metadata is N bytes as JSON; the limit is 64 KiB",
      "[invalid_argument] metadata is nested N levels deep; the limit is 32 levels",
    ]);
    expect(all.messages).toEqual([]);
    // The deepest allowed metadata goes through a watch, decoded by our own client.
    await c.messages.createMessage({ threadId: "w", messageId: "deep-ok", metadata: nested(32) });
    const watched = await watchFor(["--json", "poll", "watch", "deep-ok"], 3000);
    expect(watched.stdout).toContain('"leaf":1');
  });

  it("serves every row written straight into comms.db, with markers for what cannot be sent", async () => {
    const deep = JSON.stringify(nested(60));
    const raw = new Database(db(), { timeout: 5000 });
    const insert = raw.prepare(
      "INSERT INTO messages (message_id, thread_id, module, content, type, timestamp, status, metadata, error) VALUES (?, 'poison', ?, ?, ?, ?, 'processing', ?, ?)",
    );
    const rows: Array<[string, unknown, unknown, unknown, unknown, unknown, unknown]> = [
      ["p-deep", "m", "c", "response", 1.7e9, deep, null],
      ["p-json", "m", "c", "response", 1.7e9, "{not json", null],
      ["p-huge", "x".repeat(1 << 20), "c", "response", 1.7e9, JSON.stringify({ v: "y".repeat(1 << 20) }), "e".repeat(1 << 20)],
      ["p-blob", Buffer.from("module"), Buffer.from([0, 1, 2]), 42, "yesterday", Buffer.from("{}"), Buffer.from("err")],
      ["p-types", 7, "c", 3.5, "1700000000", 12345, 99],
    ];
    for (const row of rows) insert.run(...row);
    raw.prepare("INSERT INTO threads (thread_id, title, modules, timestamp, metadata) VALUES ('poison', ?, ?, ?, ?)").run(Buffer.from("t"), Buffer.from("[,"), "not a time", deep);
    raw.close();
    await sleep(500); // the poller picks up the external writes

    const list = await cli(["--json", "poll", "list", "--all"]);
    const shows = await Promise.all(rows.map(([id]) => cli(["--json", "poll", "show", id, "--content"])));
    const thread = await cli(["--json", "thread", "show", "poison"]);
    const watchAll = watchFor(["--json", "poll", "watch", "--all", "--after-seq", "0"], 8000);
    const watchOne: Array<{ stdout: string; stderr: string }> = [];
    for (const [id] of rows) watchOne.push(await watchFor(["--json", "poll", "watch", id], 5000));
    const many: string[] = [];
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 2000);
    try {
      for await (const res of c.polling.watchMessages({ threadId: "poison", afterSeq: 0n }, { signal: abort.signal })) {
        if (res.event?.kind !== EventKind.HEARTBEAT) many.push(res.event!.messageId);
      }
    } catch {
      // Aborted after two seconds, as intended.
    }
    const watchOut = (await watchAll).stdout;
    const status = await c.polling.getDaemonStatus({});

    const shown = shows.map((s) => JSON.parse(s.stdout || "{}") as { message?: { metadata?: Record<string, unknown>; module?: string; error?: string } });
    const markers = shown.filter((s) => s.message?.metadata?.[MARKER] || String(s.message?.module).startsWith("[claude-comms:")).length;
    const log = fs.readFileSync(path.join(temp.home, "daemon.log"), "utf8").split("\n").filter((l) => l.includes("clients get a marker instead"));
    const failed = [list, thread, ...shows].filter((r) => r.code !== 0).length;
    figures("poisoned-reads", {
      rows: rows.length + 1,
      failedCalls: failed,
      watchOneSnapshots: watchOne.filter((w) => w.stdout.includes("EVENT_KIND_SNAPSHOT")).length,
      watchAllLines: watchOut.split("\n").filter((l) => l.includes("poison")).length,
      watchManyEvents: many.length,
      markedRows: markers,
      warnLines: log.length,
    });
    expect([list.stderr, thread.stderr, ...shows.map((s) => s.stderr)].join("")).toBe("");
    expect(failed).toBe(0);
    expect(shown[0]!.message?.metadata).toEqual({ [MARKER]: "metadata nested 60 levels deep, over the limit of 32" });
    expect(shown[1]!.message?.metadata).toEqual({ value: "{not json" });
    expect(shown[2]!.message?.metadata?.[MARKER]).toMatch(/^metadata of \d+ bytes, over the 64 KiB limit$/);
    expect(shown[2]!.message?.module).toMatch(/^\[claude-comms: a value of 1048576 bytes, over the 64 KiB limit\]$/);
    expect(shown[3]!.message?.error).toBe("[claude-comms: a binary value of 3 bytes, not text]");
    expect(JSON.parse(thread.stdout).thread.metadata).toEqual({ [MARKER]: "metadata nested 60 levels deep, over the limit of 32" });
    expect(watchOne.map((w) => w.stderr)).toEqual(rows.map(() => ""));
    expect(watchOne.filter((w) => w.stdout.includes("EVENT_KIND_SNAPSHOT")).length).toBe(rows.length);
    expect(new Set(many)).toEqual(new Set(rows.map(([id]) => id)));
    expect(watchOut).toContain("p-deep");
    expect(status.pid).toBe(daemon.pid);
    // Logged once per row and column, however often it was read.
    const keys = log.map((l) => { const e = JSON.parse(l) as { row: string; column: string }; return `${e.row}/${e.column}`; });
    expect(keys.length).toBe(new Set(keys).size);
    expect(keys.length).toBeGreaterThan(0);
  }, 120_000);
});
