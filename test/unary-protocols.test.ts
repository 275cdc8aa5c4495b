import fs from "node:fs";
import path from "node:path";
import { toJson } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MessageStatus } from "../gen/claude_comms/v1/message_pb.js";
import { MessageService } from "../gen/claude_comms/v1/message_service_pb.js";
import { PollingService } from "../gen/claude_comms/v1/polling_service_pb.js";
import { killLeftoverDaemons, startDaemonProcess, type DaemonProcess } from "./helpers/daemon-process.js";
import { makeTempHome } from "./helpers/temp-home.js";

/*
 * The same unary calls over gRPC (served by the daemon's unary fast path beneath the router,
 * src/daemon/grpc-unary.ts) and over Connect and gRPC-Web (Connect-Node's generic path):
 * every answer, success or error, must be the same on all three.
 */

const TOKEN = "unary-protocols-token-0123456789abcdef";

interface Stack {
  name: string;
  messages: ReturnType<typeof createClient<typeof MessageService>>;
  polling: ReturnType<typeof createClient<typeof PollingService>>;
}

function stacks(address: string, token: string | undefined): Stack[] {
  const auth: Interceptor = (next) => (req) => (token && req.header.set("authorization", `Bearer ${token}`), next(req));
  const options = { baseUrl: `http://${address}`, interceptors: [auth], idleConnectionTimeoutMs: 50 };
  const of = (name: string, transport: Transport): Stack => ({ name, messages: createClient(MessageService, transport), polling: createClient(PollingService, transport) });
  return [
    of("gRPC", createGrpcTransport(options)),
    of("Connect", createConnectTransport({ ...options, httpVersion: "2" })),
    of("gRPC-Web", createGrpcWebTransport({ ...options, httpVersion: "2" })),
  ];
}

/** What a call answered: the response as JSON (times blanked), or the error's code and message. */
async function answer(call: () => Promise<{ $typeName: string }>, schema: Parameters<typeof toJson>[0]): Promise<unknown> {
  try {
    // Times and seqs differ from call to call; the rest must not.
    const json = JSON.stringify(toJson(schema, (await call()) as never))
      .replace(/"(\w*[tT]ime)":"[^"]+"/g, '"$1":"T"')
      .replace(/"(\w*[sS]eq)":"\d+"/g, '"$1":"S"');
    return { ok: JSON.parse(json) };
  } catch (err) {
    const e = ConnectError.from(err);
    return { code: Code[e.code], message: e.rawMessage, lastSeq: e.metadata.get("x-last-seq") };
  }
}

afterAll(killLeftoverDaemons);

describe("unary calls over gRPC, Connect and gRPC-Web", () => {
  const temp = makeTempHome();
  let daemon: DaemonProcess;
  let all: Stack[];

  beforeAll(async () => {
    const tokenFile = path.join(temp.home, "token");
    fs.writeFileSync(tokenFile, TOKEN, { mode: 0o600 });
    daemon = await startDaemonProcess(temp.home, ["--listen", "127.0.0.1:0", "--token-file", tokenFile]);
    all = stacks(daemon.listen[1]!, TOKEN);
  });

  afterAll(async () => {
    await daemon?.stop();
    temp.cleanup();
  });

  // Ids are suffixed per stack and per attempt (a retried test must not meet its own rows).
  let attempt = "";
  beforeEach(() => void (attempt = Math.random().toString(36).slice(2, 8)));
  const suffix = (i: number) => `_${attempt}${i}`;

  /** Runs `call` on every stack (each with its own ids) and requires one answer from all. */
  async function same(call: (s: Stack, suffix: string) => Promise<{ $typeName: string }>, schema: Parameters<typeof toJson>[0]) {
    const answers = [];
    for (const [i, s] of all.entries()) answers.push(JSON.parse(JSON.stringify(await answer(() => call(s, suffix(i)), schema)).replaceAll(suffix(i), "_N")));
    for (let i = 1; i < answers.length; i++) expect({ stack: all[i]!.name, ...answers[i] }).toEqual({ stack: all[i]!.name, ...answers[0] });
    return answers[0];
  }

  it("answers successful writes and reads alike", async () => {
    const { CreateMessageResponseSchema, SetStatusResponseSchema } = await import("../gen/claude_comms/v1/message_service_pb.js");
    const { ShowMessageResponseSchema } = await import("../gen/claude_comms/v1/polling_service_pb.js");
    const created = await same((s, n) => s.messages.createMessage({ threadId: `t${n}`, messageId: `m${n}`, content: "hello" }), CreateMessageResponseSchema);
    expect(created).toMatchObject({ ok: { message: { messageId: "m_N", status: "MESSAGE_STATUS_PENDING" } } });
    const set = await same((s, n) => s.messages.setStatus({ messageId: `m${n}`, status: MessageStatus.PROCESSING }), SetStatusResponseSchema);
    expect(set).toMatchObject({ ok: { message: { status: "MESSAGE_STATUS_PROCESSING" } } });
    const shown = await same((s, n) => s.polling.showMessage({ messageId: `m${n}` }), ShowMessageResponseSchema);
    expect(shown).toMatchObject({ ok: { message: { messageId: "m_N", contentLength: "5" } } });
  });

  it("answers refusals alike: not found, invalid argument, failed precondition", async () => {
    const { SetStatusResponseSchema, CreateMessageResponseSchema } = await import("../gen/claude_comms/v1/message_service_pb.js");
    const { ShowMessageResponseSchema } = await import("../gen/claude_comms/v1/polling_service_pb.js");
    expect(await same((s) => s.polling.showMessage({ messageId: "no-such-message" }), ShowMessageResponseSchema)).toMatchObject({ code: "NotFound" });
    await same((s, n) => s.messages.createMessage({ threadId: `tf${n}`, messageId: `f${n}` }), CreateMessageResponseSchema);
    const unspecified = await same((s, n) => s.messages.setStatus({ messageId: `f${n}`, status: MessageStatus.UNSPECIFIED }), SetStatusResponseSchema);
    expect(unspecified).toMatchObject({ code: "InvalidArgument" });
    await same((s, n) => s.messages.setStatus({ messageId: `f${n}`, status: MessageStatus.COMPLETE }), SetStatusResponseSchema);
    const again = await same((s, n) => s.messages.setStatus({ messageId: `f${n}`, status: MessageStatus.PROCESSING }), SetStatusResponseSchema);
    expect(again).toMatchObject({ code: "FailedPrecondition" });
  });

  it("refuses a call without the token alike, and stores nothing", async () => {
    const { CreateMessageResponseSchema } = await import("../gen/claude_comms/v1/message_service_pb.js");
    const { ShowMessageResponseSchema } = await import("../gen/claude_comms/v1/polling_service_pb.js");
    const anonymous = stacks(daemon.listen[1]!, undefined);
    const saved = all;
    all = anonymous;
    try {
      expect(await same((s, n) => s.messages.createMessage({ threadId: `ta${n}`, messageId: `a${n}` }), CreateMessageResponseSchema)).toMatchObject({ code: "Unauthenticated" });
    } finally {
      all = saved;
    }
    expect(await same((s, n) => s.polling.showMessage({ messageId: `a${n}` }), ShowMessageResponseSchema)).toMatchObject({ code: "NotFound" });
  });
});

describe("which calls the unary fast path takes", () => {
  it("takes plain gRPC calls of unary methods and leaves every other call to Connect-Node", async () => {
    const { GrpcUnary } = await import("../src/daemon/grpc-unary.js");
    const { InFlight } = await import("../src/daemon/interceptors.js");
    const { openLogger } = await import("../src/daemon/logger.js");
    const unary = new GrpcUnary([{ service: PollingService, impl: { showMessage: () => ({}), watchMessage: () => undefined } }], {
      log: openLogger("-", "error"),
      maxRequestBytes: 1024,
      maxResponseBytes: 4096,
      interceptors: [],
      inflight: new InFlight(),
    });
    const show = "/claude_comms.v1.PollingService/ShowMessage";
    const grpc = { ":method": "POST", ":path": show, "content-type": "application/grpc" };
    expect(unary.accepts(grpc)).toBe(true);
    expect(unary.accepts({ ...grpc, "content-type": "application/grpc+proto" })).toBe(true);
    expect(unary.accepts({ ...grpc, "grpc-encoding": "identity" })).toBe(true);
    for (const other of [
      { ...grpc, "content-type": "application/grpc-web+proto" },
      { ...grpc, "content-type": "application/proto" },
      { ...grpc, "content-type": "application/grpc+json" },
      { ...grpc, "grpc-encoding": "gzip" },
      { ...grpc, "grpc-timeout": "5S" },
      { ...grpc, ":method": "GET" },
      { ...grpc, ":path": "/claude_comms.v1.PollingService/WatchMessage" }, // streaming: not unary
      { ...grpc, ":path": "/claude_comms.v1.PollingService/ListMessages" }, // no handler given
      { ...grpc, ":path": "/claude_comms.v1.PollingService/Nope" },
    ]) expect(unary.accepts(other), JSON.stringify(other)).toBe(false);
  });
});
