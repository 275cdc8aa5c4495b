// README "Reliability", row 9 (bad input never crashes the daemon) with fast-check: random requests, and a model of the status machine.
// Prints one line of figures; FAULTS_SEED=N replays a seeded run.
import fs from "node:fs";
import path from "node:path";
import { createClient } from "@connectrpc/connect";
import type { JsonObject } from "@bufbuild/protobuf";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventKind, MessageStatus } from "../../gen/claude_comms/v1/message_pb.js";
import { ModuleService } from "../../gen/claude_comms/v1/module_service_pb.js";
import { connectClients, type TestClients } from "../helpers/clients.js";
import { startDaemonProcess, type DaemonProcess } from "../helpers/daemon-process.js";
import { makeTempHome } from "../helpers/temp-home.js";
import { codeName, count, figures, runSeed } from "./lib/kit.js";

/*
 * Property-based tests with fast-check: random requests get only documented codes, and a
 * model of the status machine predicts every answer and every ShowMessage of the daemon.
 */

const DOCUMENTED = ["OK", "InvalidArgument", "NotFound", "AlreadyExists", "FailedPrecondition", "ResourceExhausted", "OutOfRange"];
// Client-side endings of calls the test itself cuts short (streams, waits).
const CLIENT_SIDE = ["Canceled", "DeadlineExceeded"];
const MAX_REQUEST = 65536;

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((n) => String.fromCharCode(n));
const anyId = fc.oneof(
  fc.constantFrom("p-0", "p-1", "p-2", "t-0", ""),
  fc.string({ unit: "binary", maxLength: 300 }),
  fc.string({ unit: "binary-ascii", maxLength: 20 }),
  fc.string({ unit: loneSurrogate, minLength: 1, maxLength: 3 }),
  fc.integer({ min: 250, max: 262 }).map((n) => "x".repeat(n)),
);
const enumNumber = fc.oneof(fc.integer({ min: -2, max: 9 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }));
const duration = fc.option(
  fc.record({
    seconds: fc.oneof(fc.bigInt({ min: -5n, max: 5n }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })),
    nanos: fc.oneof(fc.integer({ min: -999_999_999, max: 999_999_999 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })),
  }),
  { nil: undefined },
);
const seq = fc.option(fc.oneof(fc.bigInt({ min: 0n, max: 50n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })), { nil: undefined });
const text = fc.oneof(fc.string({ unit: "binary", maxLength: 200 }), fc.string({ unit: loneSurrogate, maxLength: 5 }));
const labels = fc.dictionary(fc.string({ unit: "binary", maxLength: 10 }), fc.string({ unit: "binary", maxLength: 10 }), { maxKeys: 4 });
const metadata = fc.option(fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }), { nil: undefined });

type Call = (c: TestClients, modules: ReturnType<typeof createClient<typeof ModuleService>>) => Promise<unknown>;

const req = (name: string, call: Call): [string, Call] => [name, call];

/** Reads the first event of a stream, then cancels it. */
async function firstOf(stream: AsyncIterable<unknown>, controller: AbortController): Promise<void> {
  try {
    for await (const _ of stream) break;
  } finally {
    controller.abort();
  }
}

const request: fc.Arbitrary<[string, Call]> = fc.oneof(
  fc.tuple(anyId, fc.string({ maxLength: 20 }), fc.array(anyId, { maxLength: 3 }), metadata).map(([id, title, modules, md]) => req("createThread", (c) => c.messages.createThread({ threadId: id, title, modules, metadata: md as JsonObject | undefined }))),
  fc.tuple(anyId, fc.boolean()).map(([id, includeContent]) => req("getThread", (c) => c.messages.getThread({ threadId: id, includeContent }))),
  fc.tuple(anyId, anyId, anyId, anyId, text, enumNumber, metadata).map(([thread, id, module, type, content, status, md]) => req("createMessage", (c) => c.messages.createMessage({ threadId: thread, messageId: id, module, type, content, status, metadata: md as JsonObject | undefined }))),
  fc.tuple(anyId, text).map(([id, content]) => req("appendContent", (c) => c.messages.appendContent({ messageId: id, content }))),
  fc.tuple(anyId, enumNumber, text).map(([id, status, error]) => req("setStatus", (c) => c.messages.setStatus({ messageId: id, status, error }))),
  fc.tuple(anyId, anyId, duration, labels).map(([id, thread, timeout, l]) => req("addMessage", (c) => c.polling.addMessage({ messageId: id, threadId: thread, timeout, labels: l }))),
  fc.tuple(anyId).map(([id]) => req("removeMessage", (c) => c.polling.removeMessage({ messageId: id }))),
  fc.tuple(anyId, fc.boolean(), fc.oneof(fc.bigInt({ min: 0n, max: 10n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }))).map(([id, includeContent, contentOffset]) => req("showMessage", (c) => c.polling.showMessage({ messageId: id, includeContent, contentOffset }))),
  fc.tuple(enumNumber, anyId, fc.boolean(), anyId, fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.oneof(anyId, fc.base64String())).map(([status, thread, all, module, pageSize, pageToken]) => req("listMessages", (c) => c.polling.listMessages({ status, threadId: thread, all, module, pageSize, pageToken }))),
  fc.tuple(anyId, seq).map(([id, afterSeq]) => req("watchMessage", (c) => { const ac = new AbortController(); return firstOf(c.polling.watchMessage({ messageId: id, afterSeq }, { signal: ac.signal, timeoutMs: 2000 }), ac); })),
  fc.tuple(fc.array(anyId, { maxLength: 3 }), anyId, fc.array(enumNumber, { maxLength: 3 }), anyId, labels, seq).map(([ids, thread, statuses, module, l, afterSeq]) => req("watchMessages", (c) => { const ac = new AbortController(); return firstOf(c.polling.watchMessages({ messageIds: ids, threadId: thread, statuses, module, labels: l, afterSeq }, { signal: ac.signal, timeoutMs: 2000 }), ac); })),
  fc.tuple(anyId, duration).map(([id, timeout]) => req("waitMessage", (c) => c.polling.waitMessage({ messageId: id, timeout }, { timeoutMs: 300 }))),
  fc.tuple(anyId, text).map(([id, reason]) => req("cancelMessage", (c) => c.polling.cancelMessage({ messageId: id, reason }))),
  fc.constant(req("getDaemonStatus", (c) => c.polling.getDaemonStatus({}))),
  fc.tuple(anyId, text, fc.array(text, { maxLength: 3 })).map(([name, dir, argv]) => req("registerModule", (_c, m) => m.registerModule({ module: { name, directory: dir, agentCommand: argv } }))),
  fc.tuple(anyId).map(([name]) => req("removeModule", (_c, m) => m.removeModule({ name }))),
);

// ---- The model of the status machine ----

type Status = "pending" | "processing" | "complete" | "failed" | "timed_out" | "cancelled";
const NAMES: Record<number, Status> = { 1: "pending", 2: "processing", 3: "complete", 4: "failed", 5: "timed_out", 6: "cancelled" };
const TERMINAL = new Set<Status>(["complete", "failed", "timed_out", "cancelled"]);
const PROTO: Record<Status, MessageStatus> = {
  pending: MessageStatus.PENDING,
  processing: MessageStatus.PROCESSING,
  complete: MessageStatus.COMPLETE,
  failed: MessageStatus.FAILED,
  timed_out: MessageStatus.TIMED_OUT,
  cancelled: MessageStatus.CANCELLED,
};

interface ModelMessage {
  status: Status;
  content: string;
  error: string;
  history: string[];
}
type Model = Map<string, ModelMessage>;
interface Real {
  c: TestClients;
  prefix: string;
  answers: Record<string, number>;
}

const bytes = (s: string) => Buffer.byteLength(s);
const entry = (kind: string, from: Status | null, to: Status, detail: string) => `${kind}:${from ?? "-"}>${to}:${detail}`;

async function answer(call: () => Promise<unknown>): Promise<{ code: string; value?: unknown }> {
  try {
    return { code: "OK", value: await call() };
  } catch (err) {
    return { code: codeName(err) };
  }
}

/** Compares the daemon's ShowMessage of `id` with the model. */
async function checkShow(model: Model, real: Real, id: string): Promise<void> {
  const want = model.get(id);
  const got = await answer(() => real.c.polling.showMessage({ messageId: id, includeContent: true }));
  if (!want) {
    expect(got.code).toBe("NotFound");
    return;
  }
  const shown = got.value as Awaited<ReturnType<TestClients["polling"]["showMessage"]>>;
  const history = shown.history
    .filter((e) => e.kind === EventKind.CREATED || e.kind === EventKind.STATUS_CHANGED)
    .map((e) => entry(e.kind === EventKind.CREATED ? "created" : "changed", e.kind === EventKind.CREATED ? null : NAMES[e.fromStatus]!, NAMES[e.toStatus]!, e.detail));
  expect({ status: shown.message?.status, content: shown.message?.content, length: shown.message?.contentLength, error: shown.message?.error, history }).toEqual({
    status: PROTO[want.status],
    content: want.content,
    length: BigInt(bytes(want.content)),
    error: want.error,
    history: want.history,
  });
}

abstract class Cmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly slot: number) {}
  check = () => true;
  protected id(real: Real): string {
    return `${real.prefix}-m${this.slot}`;
  }
  abstract act(model: Model, real: Real, id: string): Promise<void>;
  async run(model: Model, real: Real): Promise<void> {
    const id = this.id(real);
    await this.act(model, real, id);
    await checkShow(model, real, id);
  }
}

class CreateCmd extends Cmd {
  constructor(slot: number, readonly status: number, readonly content: string) {
    super(slot);
  }
  override async act(model: Model, real: Real, id: string) {
    const got = await answer(() => real.c.messages.createMessage({ threadId: `${real.prefix}-t`, messageId: id, status: this.status, content: this.content }));
    count(real.answers, `create:${got.code}`);
    const status = this.status === 0 ? "pending" : NAMES[this.status];
    if (!status) return void expect(got.code).toBe("InvalidArgument");
    if (model.has(id)) return void expect(got.code).toBe("AlreadyExists");
    expect(got.code).toBe("OK");
    model.set(id, { status, content: this.content, error: "", history: [entry("created", null, status, "")] });
  }
  override toString = () => `create(m${this.slot}, ${this.status}, ${JSON.stringify(this.content)})`;
}

class SetStatusCmd extends Cmd {
  constructor(slot: number, readonly status: number, readonly error: string) {
    super(slot);
  }
  override async act(model: Model, real: Real, id: string) {
    const got = await answer(() => real.c.messages.setStatus({ messageId: id, status: this.status, error: this.error }));
    count(real.answers, `setStatus:${got.code}`);
    const to = NAMES[this.status];
    const m = model.get(id);
    if (!to) return void expect(got.code).toBe("InvalidArgument");
    if (!m) return void expect(got.code).toBe("NotFound");
    if (m.status === to) return void expect(got.code).toBe("OK"); // same status: no change, error kept
    if (TERMINAL.has(m.status)) return void expect(got.code).toBe("FailedPrecondition");
    expect(got.code).toBe("OK");
    m.history.push(entry("changed", m.status, to, this.error));
    m.status = to;
    m.error = this.error;
  }
  override toString = () => `setStatus(m${this.slot}, ${this.status}, ${JSON.stringify(this.error)})`;
}

class AppendCmd extends Cmd {
  constructor(slot: number, readonly text: string) {
    super(slot);
  }
  override async act(model: Model, real: Real, id: string) {
    const got = await answer(() => real.c.messages.appendContent({ messageId: id, content: this.text }));
    count(real.answers, `append:${got.code}`);
    const m = model.get(id);
    if (!m) return void expect(got.code).toBe("NotFound");
    if (TERMINAL.has(m.status)) return void expect(got.code).toBe("FailedPrecondition");
    expect(got.code).toBe("OK");
    m.content += this.text;
    expect((got.value as { contentLength: bigint }).contentLength).toBe(BigInt(bytes(m.content)));
  }
  override toString = () => `append(m${this.slot}, ${JSON.stringify(this.text)})`;
}

class CancelCmd extends Cmd {
  constructor(slot: number, readonly reason: string) {
    super(slot);
  }
  override async act(model: Model, real: Real, id: string) {
    const got = await answer(() => real.c.polling.cancelMessage({ messageId: id, reason: this.reason }));
    count(real.answers, `cancel:${got.code}`);
    const m = model.get(id);
    if (!m) return void expect(got.code).toBe("NotFound");
    if (m.status === "cancelled") return void expect(got.code).toBe("OK");
    if (TERMINAL.has(m.status)) return void expect(got.code).toBe("FailedPrecondition");
    expect(got.code).toBe("OK");
    const reason = this.reason || "cancelled";
    m.history.push(entry("changed", m.status, "cancelled", reason));
    m.status = "cancelled";
    m.error = reason;
  }
  override toString = () => `cancel(m${this.slot}, ${JSON.stringify(this.reason)})`;
}

const slot = fc.integer({ min: 0, max: 1 });
const statusNumber = fc.oneof(
  { arbitrary: fc.constantFrom(0, 1, 2, 2, 3, 4, 5, 6), weight: 6 },
  { arbitrary: fc.constantFrom(7, 42, -1), weight: 1 },
);
const createStatus = fc.oneof(
  { arbitrary: fc.constantFrom(0, 1, 2), weight: 8 },
  { arbitrary: fc.constantFrom(3, 4, 5, 6, 7, 42, -1), weight: 2 },
);
const modelText = fc.oneof(fc.constant(""), fc.string({ unit: "binary", maxLength: 30 }), fc.string({ unit: "grapheme", maxLength: 10 }));
const commands = fc.commands(
  [
    fc.tuple(slot, createStatus, modelText).map(([s, st, t]) => new CreateCmd(s, st, t)),
    fc.tuple(slot, statusNumber, modelText).map(([s, st, t]) => new SetStatusCmd(s, st, t)),
    fc.tuple(slot, modelText).map(([s, t]) => new AppendCmd(s, t)),
    fc.tuple(slot, modelText).map(([s, t]) => new CancelCmd(s, t)),
  ],
  { maxCommands: 40, size: "+1" },
);

describe("property tests", () => {
  const temp = makeTempHome("ccf-prop-");
  let daemon: DaemonProcess;
  let c: TestClients;

  beforeAll(async () => {
    daemon = await startDaemonProcess(temp.home, ["--max-request-bytes", String(MAX_REQUEST), "--interval", "0.1"]);
    c = connectClients(daemon.socket);
  });

  afterAll(async () => {
    await daemon?.stop();
    temp.cleanup();
  });

  it("answers random requests only with documented codes and keeps running", async () => {
    const seed = runSeed();
    const modules = createClient(ModuleService, c.transport);
    const codes: Record<string, number> = {};
    const bad: string[] = [];
    let requests = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 8 }), async (calls) => {
        for (const [name, call] of calls) {
          requests++;
          const code = await call(c, modules).then(
            () => "OK",
            (err) => codeName(err),
          );
          count(codes, code);
          const allowed = DOCUMENTED.includes(code) || (CLIENT_SIDE.includes(code) && /^(watch|wait)/.test(name));
          if (!allowed) bad.push(`${name}: ${code}`);
          expect(allowed, `${name} answered ${code}`).toBe(true);
        }
      }),
      { numRuns: 150, seed, endOnFailure: true },
    );
    const status = await c.polling.getDaemonStatus({});
    const log = fs.readFileSync(path.join(temp.home, "daemon.log"), "utf8");
    const internalLogged = log.split("\n").filter((l) => l.includes('"msg":"request failed"')).length;
    figures("fuzz", { seed, runs: 150, requests, codes, undocumented: bad.length, internal_logged: internalLogged, alive: status.pid === daemon.pid });
    expect(bad).toEqual([]);
    expect(internalLogged).toBe(0);
    expect(status.pid).toBe(daemon.pid);
  }, 120_000);

  it("matches a model of the status machine: every answer, state and history", async () => {
    const seed = runSeed();
    let run = 0;
    const answers: Record<string, number> = {};
    let commandsRun = 0;
    await fc.assert(
      fc.asyncProperty(commands, async (cmds) => {
        const prefix = `model-${run++}`;
        commandsRun += [...cmds].length;
        await fc.asyncModelRun(() => ({ model: new Map() as Model, real: { c, prefix, answers } }), cmds);
      }),
      { numRuns: 60, seed, endOnFailure: true },
    );
    figures("model", { seed, runs: run, commands: commandsRun, answers, alive: (await c.polling.getDaemonStatus({})).pid === daemon.pid });
  }, 120_000);
});
