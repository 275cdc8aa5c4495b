import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MessageStatus } from "../gen/claude_comms/v1/message_pb.js";
import { connectClients, type TestClients } from "./helpers/clients.js";
import { startDaemonProcess, type DaemonProcess } from "./helpers/daemon-process.js";
import { makeTempHome } from "./helpers/temp-home.js";

/** Runs a call that must fail; returns its ConnectError. */
async function refusal(call: () => Promise<unknown> | AsyncIterable<unknown>): Promise<ConnectError> {
  try {
    const result = call();
    if (Symbol.asyncIterator in (result as object)) {
      for await (const _ of result as AsyncIterable<unknown>) void _;
    } else {
      await result;
    }
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error("expected the call to fail");
}

describe("bad input gets a clear error and changes nothing", () => {
  const temp = makeTempHome();
  let daemon: DaemonProcess;
  let c: TestClients;

  beforeAll(async () => {
    daemon = await startDaemonProcess(temp.home, ["--max-request-bytes", "65536", "--busy-timeout", "300ms"]);
    c = connectClients(daemon.socket);
    await c.messages.createMessage({ threadId: "t", messageId: "done", status: MessageStatus.COMPLETE });
    await c.messages.createMessage({ threadId: "t", messageId: "open", status: MessageStatus.PROCESSING });
    // The daemon publishes a write's event just after answering it (on PostgreSQL after the
    // NOTIFY): wait until the hub has published both creations, so every case starts from a
    // settled head.
    const until = Date.now() + 10_000;
    let status = await c.polling.getDaemonStatus({});
    while (status.headSeq < 2n && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 20));
      status = await c.polling.getDaemonStatus({});
    }
    expect(status.headSeq).toBeGreaterThanOrEqual(2n);
  });

  afterAll(async () => {
    await daemon?.stop();
    temp.cleanup();
  });

  const long = "x".repeat(257);
  const cases: Array<[string, Code, RegExp, (c: TestClients) => Promise<unknown> | AsyncIterable<unknown>]> = [
    ["empty id", Code.InvalidArgument, /message_id is required/, (c) => c.polling.addMessage({ messageId: "" })],
    ["oversized id", Code.InvalidArgument, /257 characters long; the limit is 256/, (c) => c.polling.showMessage({ messageId: long })],
    ["control characters", Code.InvalidArgument, /control characters/, (c) => c.polling.addMessage({ messageId: "a\nb" })],
    ["unknown id (show)", Code.NotFound, /message "nope" not found/, (c) => c.polling.showMessage({ messageId: "nope" })],
    ["unknown id (add)", Code.NotFound, /message "nope" not found/, (c) => c.polling.addMessage({ messageId: "nope" })],
    ["unknown id (watch)", Code.NotFound, /message "nope" not found/, (c) => c.polling.watchMessage({ messageId: "nope" })],
    ["unknown id (append)", Code.NotFound, /not found/, (c) => c.messages.appendContent({ messageId: "nope", content: "x" })],
    ["not monitored", Code.NotFound, /is not monitored/, (c) => c.polling.removeMessage({ messageId: "open" })],
    ["duplicate message", Code.AlreadyExists, /message "open" already exists/, (c) => c.messages.createMessage({ threadId: "t", messageId: "open" })],
    ["duplicate thread", Code.AlreadyExists, /thread "t" already exists/, (c) => c.messages.createThread({ threadId: "t" })],
    ["UNSPECIFIED status", Code.InvalidArgument, /status is required/, (c) => c.messages.setStatus({ messageId: "open", status: MessageStatus.UNSPECIFIED })],
    ["unknown enum number", Code.InvalidArgument, /status 42 is not a known status/, (c) => c.messages.setStatus({ messageId: "open", status: 42 as MessageStatus })],
    ["unknown enum in create", Code.InvalidArgument, /not a known status/, (c) => c.messages.createMessage({ threadId: "t", status: 9 as MessageStatus })],
    ["unknown enum in list", Code.InvalidArgument, /not a known status/, (c) => c.polling.listMessages({ status: -3 as MessageStatus })],
    ["leaving a terminal status", Code.FailedPrecondition, /is complete, which is final/, (c) => c.messages.setStatus({ messageId: "done", status: MessageStatus.PROCESSING })],
    ["appending to a terminal message", Code.FailedPrecondition, /content is final/, (c) => c.messages.appendContent({ messageId: "done", content: "x" })],
    ["cancelling a finished message", Code.FailedPrecondition, /is complete/, (c) => c.polling.cancelMessage({ messageId: "done" })],
    ["thread mismatch", Code.InvalidArgument, /belongs to thread "t", not "other"/, (c) => c.polling.addMessage({ messageId: "open", threadId: "other" })],
    ["negative timeout", Code.InvalidArgument, /timeout must not be negative/, (c) => c.polling.addMessage({ messageId: "open", timeout: { seconds: -5n } })],
    ["bad page token", Code.InvalidArgument, /page_token is invalid/, (c) => c.polling.listMessages({ pageToken: "garbage" })],
    ["page size too large", Code.InvalidArgument, /page_size must be between 1 and 1000/, (c) => c.polling.listMessages({ pageSize: 5000 })],
    ["oversized request", Code.ResourceExhausted, /message size .* is larger than configured readMaxBytes/, (c) => c.messages.appendContent({ messageId: "open", content: "y".repeat(70_000) })],
  ];

  it.each(cases)("%s → %s", async (_name, code, message, call) => {
    const before = await c.polling.getDaemonStatus({});
    const err = await refusal(() => call(c));
    expect(Code[err.code]).toBe(Code[code]);
    expect(err.rawMessage).toMatch(message);
    expect(err.rawMessage).not.toMatch(/select|insert|update |sqlite|\/tmp\//i);
    const after = await c.polling.getDaemonStatus({});
    expect(after.headSeq).toBe(before.headSeq);
    const open = await c.polling.showMessage({ messageId: "open", includeContent: true });
    expect(open.message?.status).toBe(MessageStatus.PROCESSING);
    expect(open.message?.content).toBe("");
  });

  it("is still serving after every refusal", async () => {
    const status = await c.polling.getDaemonStatus({});
    expect(status.pid).toBe(daemon.pid);
    expect(daemon.child.exitCode).toBeNull();
  });
});
