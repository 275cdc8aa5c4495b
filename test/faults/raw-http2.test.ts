// README "Reliability", row 9 (bad input never crashes the daemon): malformed frames and bodies through a bare node:http2 client.
// Prints one line of figures.
import fs from "node:fs";
import http2 from "node:http2";
import net from "node:net";
import path from "node:path";
import zlib from "node:zlib";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ShowMessageRequestSchema, WatchMessageRequestSchema } from "../../gen/claude_comms/v1/polling_service_pb.js";
import { connectClients, type TestClients } from "../helpers/clients.js";
import { startDaemonProcess, type DaemonProcess } from "../helpers/daemon-process.js";
import { makeTempHome } from "../helpers/temp-home.js";
import { count, figures, sleep } from "./lib/kit.js";
import { envelope, rawRequest, rawSession, type RawResponse } from "./lib/raw.js";

const MAX_REQUEST = 65536;
const SHOW = "/claude_comms.v1.PollingService/ShowMessage";
const WATCH = "/claude_comms.v1.PollingService/WatchMessage";
const SET_STATUS = "/claude_comms.v1.MessageService/SetStatus";
const GRPC = { "content-type": "application/grpc", te: "trailers" };
const GRPC_WEB = { "content-type": "application/grpc-web+proto", "x-grpc-web": "1" };
const show = (id: string) => toBinary(ShowMessageRequestSchema, create(ShowMessageRequestSchema, { messageId: id }));
const watch = (id: string) => toBinary(WatchMessageRequestSchema, create(WatchMessageRequestSchema, { messageId: id }));
const garbage = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]);

// gRPC's mapping of an HTTP status without grpc-status (doc/http-grpc-status-mapping.md).
const HTTP_TO_GRPC: Record<number, string> = { 400: "Internal", 401: "Unauthenticated", 403: "PermissionDenied", 404: "Unimplemented", 429: "Unavailable", 502: "Unavailable", 503: "Unavailable", 504: "Unavailable" };
// Connect's error codes in JSON bodies are snake_case names of the same codes.
const fromSnake = (s: string) => s.replace(/(^|_)([a-z])/g, (_, __, ch: string) => ch.toUpperCase());

/** The status a client would see: grpc-status (headers, trailers or gRPC-Web trailer frame), Connect JSON, or the HTTP status. */
function statusOf(res: RawResponse): string {
  const grpc = res.headers["grpc-status"] ?? res.trailers["grpc-status"] ?? /grpc-status: ?(\d+)/.exec(res.body.toString("latin1"))?.[1];
  if (grpc !== undefined) return Code[Number(grpc)] ?? `grpc-${grpc}`;
  const json = /"code":"([a-z_]+)"/.exec(res.body.toString("utf8"))?.[1];
  if (json) return fromSnake(json);
  if (res.status === undefined) return res.rstCode ? `rst-${res.rstCode}` : `no-response${res.error ? `: ${res.error}` : ""}`;
  return HTTP_TO_GRPC[res.status] ?? `http-${res.status}`;
}

function messageOf(res: RawResponse): string {
  const m = res.headers["grpc-message"] ?? res.trailers["grpc-message"] ?? /grpc-message: ?([^\r\n]*)/.exec(res.body.toString("latin1"))?.[1];
  if (m !== undefined) return decodeURIComponent(String(m));
  return /"message":"([^"]*)"/.exec(res.body.toString("utf8"))?.[1] ?? "";
}

interface Case {
  name: string;
  headers: http2.OutgoingHttpHeaders;
  body?: Uint8Array;
  /** The codes (or http-NNN) accepted. */
  expect: string[];
  /**
   * Set where the answer is INTERNAL by the protocol's own rule, decided by connect-es before
   * any handler runs: a request body that is not valid protobuf (grpc-go and grpc-java answer
   * INTERNAL too), and a compressed flag without an encoding (gRPC's compression spec).
   */
  framework?: string;
}

const cases: Case[] = [
  { name: "malformed protobuf (unary)", headers: { ":path": SHOW, ...GRPC }, body: envelope(garbage), expect: ["Internal"], framework: "parse binary" },
  { name: "malformed protobuf (stream)", headers: { ":path": WATCH, ...GRPC }, body: envelope(garbage), expect: ["Internal"], framework: "parse binary" },
  { name: "truncated protobuf field", headers: { ":path": SHOW, ...GRPC }, body: envelope(Buffer.from([0x0a, 0x10, 0x61])), expect: ["Internal"], framework: "parse binary" },
  { name: "invalid UTF-8 in a string field", headers: { ":path": SHOW, ...GRPC }, body: envelope(Buffer.from([0x0a, 0x02, 0xc3, 0x28])), expect: ["Internal"], framework: "parse binary" },
  { name: "wrong wire type for a field", headers: { ":path": SHOW, ...GRPC }, body: envelope(Buffer.from([0x08, 0x01])), expect: ["InvalidArgument", "Internal"], framework: "parse binary" },
  { name: "length prefix larger than the body", headers: { ":path": SHOW, ...GRPC }, body: envelope(show("a"), 0, 100), expect: ["InvalidArgument"] },
  { name: "partial length prefix", headers: { ":path": SHOW, ...GRPC }, body: Buffer.from([0, 0]), expect: ["InvalidArgument"] },
  { name: "envelope declared over the limit", headers: { ":path": SHOW, ...GRPC }, body: envelope(show("a"), 0, 100_000_000), expect: ["ResourceExhausted"] },
  { name: "envelope over the limit", headers: { ":path": SHOW, ...GRPC }, body: envelope(Buffer.alloc(MAX_REQUEST + 10, 0x61)), expect: ["ResourceExhausted"] },
  { name: "compressed flag, no encoding", headers: { ":path": SHOW, ...GRPC }, body: envelope(show("a"), 1), expect: ["Internal"], framework: "compressed envelope" },
  { name: "compressed flag, unknown encoding", headers: { ":path": SHOW, ...GRPC, "grpc-encoding": "snappy" }, body: envelope(show("a"), 1), expect: ["Unimplemented"] },
  { name: "gzip encoding, corrupt data", headers: { ":path": SHOW, ...GRPC, "grpc-encoding": "gzip" }, body: envelope(garbage, 1), expect: ["InvalidArgument"] },
  { name: "gzip bomb over the limit", headers: { ":path": SHOW, ...GRPC, "grpc-encoding": "gzip" }, body: envelope(zlib.gzipSync(Buffer.alloc(10 * MAX_REQUEST)), 1), expect: ["ResourceExhausted"] },
  { name: "gzip encoding, valid (control)", headers: { ":path": SHOW, ...GRPC, "grpc-encoding": "gzip" }, body: envelope(zlib.gzipSync(show("nope")), 1), expect: ["NotFound"] },
  { name: "unknown method", headers: { ":path": "/claude_comms.v1.PollingService/Nope", ...GRPC }, body: envelope(show("a")), expect: ["Unimplemented"] },
  { name: "unknown service", headers: { ":path": "/x.y.Z/Call", ...GRPC }, body: envelope(show("a")), expect: ["Unimplemented"] },
  { name: "path without a method", headers: { ":path": "/", ...GRPC }, body: envelope(show("a")), expect: ["Unimplemented"] },
  { name: "unknown method, Connect JSON", headers: { ":path": "/claude_comms.v1.PollingService/Nope", "content-type": "application/json" }, body: Buffer.from("{}"), expect: ["Unimplemented"] },
  { name: "unknown method, gRPC-Web", headers: { ":path": "/claude_comms.v1.PollingService/Nope", ...GRPC_WEB }, body: envelope(show("a")), expect: ["Unimplemented"] },
  { name: "no message for a unary call", headers: { ":path": SHOW, ...GRPC }, body: Buffer.alloc(0), expect: ["Unimplemented"] },
  { name: "two messages for a unary call", headers: { ":path": SHOW, ...GRPC }, body: Buffer.concat([envelope(show("a")), envelope(show("b"))]), expect: ["Unimplemented"] },
  { name: "trailer flag on a request envelope", headers: { ":path": SHOW, ...GRPC }, body: envelope(show("a"), 0x80), expect: ["InvalidArgument", "NotFound"] },
  { name: "bad grpc-timeout", headers: { ":path": SHOW, ...GRPC, "grpc-timeout": "soon" }, body: envelope(show("a")), expect: ["InvalidArgument"] },
  { name: "text/plain content type", headers: { ":path": SHOW, "content-type": "text/plain" }, body: Buffer.from("hello"), expect: ["http-415"] },
  { name: "no content type", headers: { ":path": SHOW }, body: envelope(show("a")), expect: ["http-415"] },
  { name: "GET of a POST method", headers: { ":path": SHOW, ":method": "GET", ...GRPC }, expect: ["http-405"] },
  { name: "valid request, unknown id (control)", headers: { ":path": SHOW, ...GRPC }, body: envelope(show("nope")), expect: ["NotFound"] },
  { name: "valid request, empty id", headers: { ":path": SHOW, ...GRPC }, body: envelope(show("")), expect: ["InvalidArgument"] },
  { name: "gRPC-Web malformed protobuf", headers: { ":path": SHOW, ...GRPC_WEB }, body: envelope(garbage), expect: ["Internal"], framework: "parse binary" },
  { name: "gRPC-Web valid, unknown id", headers: { ":path": SHOW, ...GRPC_WEB }, body: envelope(show("nope")), expect: ["NotFound"] },
  { name: "gRPC-Web stream over the limit", headers: { ":path": WATCH, ...GRPC_WEB }, body: envelope(watch("x".repeat(MAX_REQUEST + 10))), expect: ["ResourceExhausted"] },
  { name: "Connect JSON wrong field type", headers: { ":path": SHOW, "content-type": "application/json" }, body: Buffer.from('{"messageId": 5}'), expect: ["InvalidArgument"] },
  { name: "Connect JSON not JSON", headers: { ":path": SHOW, "content-type": "application/json" }, body: Buffer.from("{{{"), expect: ["InvalidArgument"] },
  { name: "Connect JSON array", headers: { ":path": SHOW, "content-type": "application/json" }, body: Buffer.from("[1,2]"), expect: ["InvalidArgument"] },
  { name: "Connect JSON unknown enum name", headers: { ":path": SET_STATUS, "content-type": "application/json" }, body: Buffer.from('{"messageId":"x","status":"NOPE"}'), expect: ["InvalidArgument"] },
  { name: "Connect JSON enum number out of range", headers: { ":path": SET_STATUS, "content-type": "application/json" }, body: Buffer.from('{"messageId":"x","status":99}'), expect: ["InvalidArgument"] },
  { name: "Connect JSON uint64 as a word", headers: { ":path": SHOW, "content-type": "application/json" }, body: Buffer.from('{"messageId":"x","contentOffset":"lots"}'), expect: ["InvalidArgument"] },
  { name: "Connect JSON unknown field", headers: { ":path": SHOW, "content-type": "application/json" }, body: Buffer.from('{"nope":1}'), expect: ["InvalidArgument"] },
  { name: "Connect JSON invalid UTF-8", headers: { ":path": SHOW, "content-type": "application/json" }, body: Buffer.from([0x7b, 0x22, 0x6d, 0xff, 0x22, 0x7d]), expect: ["InvalidArgument"] },
  { name: "Connect JSON over the limit", headers: { ":path": SHOW, "content-type": "application/json" }, body: Buffer.from(JSON.stringify({ messageId: "x".repeat(MAX_REQUEST) })), expect: ["ResourceExhausted"] },
  { name: "Connect proto malformed", headers: { ":path": SHOW, "content-type": "application/proto" }, body: garbage, expect: ["Internal"], framework: "parse binary" },
  // connect-node does not require the header, and treats an unknown version leniently.
  { name: "Connect unknown protocol version", headers: { ":path": SHOW, "content-type": "application/json", "connect-protocol-version": "9" }, body: Buffer.from('{"messageId":"x"}'), expect: ["InvalidArgument", "NotFound"] },
  { name: "Connect bad timeout header", headers: { ":path": SHOW, "content-type": "application/json", "connect-timeout-ms": "-1" }, body: Buffer.from('{"messageId":"x"}'), expect: ["InvalidArgument"] },
  { name: "Connect streaming JSON garbage", headers: { ":path": WATCH, "content-type": "application/connect+json" }, body: envelope(Buffer.from("{{")), expect: ["InvalidArgument"] },
  { name: "Connect GET of a non-idempotent method", headers: { ":path": `${SHOW}?connect=v1&encoding=json&message=%7B%7D`, ":method": "GET" }, expect: ["http-405", "Unimplemented"] },
];

describe("bad input through raw HTTP/2 frames", () => {
  const temp = makeTempHome("ccf-raw-");
  let daemon: DaemonProcess;
  let c: TestClients;

  beforeAll(async () => {
    daemon = await startDaemonProcess(temp.home, ["--max-request-bytes", String(MAX_REQUEST)]);
    c = connectClients(daemon.socket);
  });

  afterAll(async () => {
    await daemon?.stop();
    temp.cleanup();
  });

  it("answers every malformed request with a proper error status and keeps serving", async () => {
    const { session } = rawSession(daemon.socket);
    const results: Array<{ name: string; got: string; message: string; ok: boolean; framework?: string }> = [];
    for (const k of cases) {
      const res = await rawRequest(session, k.headers, k.body);
      const got = statusOf(res);
      results.push({ name: k.name, got, message: messageOf(res), ok: k.expect.includes(got), framework: k.framework });
    }
    session.close();
    // A client that resets its stream half-way through a request.
    const reset = rawSession(daemon.socket);
    for (let i = 0; i < 20; i++) {
      const stream = reset.session.request({ ":method": "POST", ":path": i % 2 ? SHOW : WATCH, ...GRPC });
      stream.on("error", () => undefined);
      stream.write(envelope(show("a"), 0, 1000).subarray(0, 8));
      stream.close(http2.constants.NGHTTP2_CANCEL);
    }
    await sleep(100);
    reset.session.destroy();
    // Bytes that are not HTTP/2 at all, and a valid preface followed by garbage frames.
    const junk = [Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131) & 0xff))];
    junk.push(Buffer.concat([Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), Buffer.from([0, 0, 4, 0xee, 0, 0, 0, 0, 1, 1, 2, 3, 4])]));
    junk.push(Buffer.concat([Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), Buffer.from([0xff, 0xff, 0xff, 0x01, 0x00, 0, 0, 0, 0])]));
    const junkOutcomes: Record<string, number> = {};
    for (let round = 0; round < 10; round++) {
      for (const bytes of junk) {
        const outcome = await new Promise<string>((resolve) => {
          const sock = net.connect(daemon.socket);
          const timer = setTimeout(() => (sock.destroy(), resolve("left open")), 2000);
          sock.on("error", () => undefined);
          sock.resume(); // read what the daemon answers (a GOAWAY), so its close is seen
          sock.on("close", () => (clearTimeout(timer), resolve("closed by daemon")));
          sock.on("connect", () => sock.write(bytes));
        });
        count(junkOutcomes, outcome);
      }
    }
    const status = await c.polling.getDaemonStatus({});
    const log = fs.readFileSync(path.join(temp.home, "daemon.log"), "utf8");
    const internal = results.filter((r) => r.got === "Internal");
    const unexpected = results.filter((r) => !r.ok);
    const codes: Record<string, number> = {};
    for (const r of results) count(codes, r.got);
    figures("raw-http2", {
      cases: results.length,
      unexpected: unexpected.length,
      codes,
      internal: internal.length,
      internal_by_protocol_rule: internal.filter((r) => r.framework).length,
      generic_internal_messages: results.filter((r) => r.message === "internal error").length,
      stream_resets: 20,
      junk_connections: junk.length * 10,
      junk: junkOutcomes,
      crashes: daemon.child.exitCode === null && status.pid === daemon.pid ? 0 : 1,
      uncaught: (log.match(/uncaught/g) ?? []).length,
    });
    for (const r of results) console.log(`  ${r.ok ? "ok " : "BAD"} ${r.name.padEnd(42)} ${r.got.padEnd(18)} ${r.message.slice(0, 90)}`);
    expect(unexpected.map((r) => `${r.name}: ${r.got} ${r.message}`)).toEqual([]);
    // INTERNAL only where the protocol itself says so, always with the specific reason.
    for (const r of internal) expect([r.name, r.message]).toEqual([r.name, expect.stringContaining(r.framework ?? "<not allowed>")]);
    expect(results.filter((r) => r.message === "internal error")).toEqual([]);
    // A path nothing serves is named in the answer, in every protocol.
    const unknown = results.filter((r) => /^unknown (method|service)|^path without/.test(r.name));
    expect(unknown.map((r) => r.message.match(/^unknown method \S*:/)?.[0])).toEqual([
      "unknown method /claude_comms.v1.PollingService/Nope:",
      "unknown method /x.y.Z/Call:",
      "unknown method /:",
      "unknown method /claude_comms.v1.PollingService/Nope:",
      "unknown method /claude_comms.v1.PollingService/Nope:",
    ]);
    expect(status.pid).toBe(daemon.pid);
    expect(daemon.child.exitCode).toBeNull();
    expect(log).not.toMatch(/uncaught/);
    expect(junkOutcomes["left open"] ?? 0).toBe(0);
  }, 60_000);
});
