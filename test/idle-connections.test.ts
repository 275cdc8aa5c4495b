import fs from "node:fs";
import http2 from "node:http2";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventKind, MessageStatus } from "../gen/claude_comms/v1/message_pb.js";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { PollingService } from "../gen/claude_comms/v1/polling_service_pb.js";
import { connectClients, type TestClients } from "./helpers/clients.js";
import { until } from "./helpers/collect.js";
import { startDaemonProcess, type DaemonProcess } from "./helpers/daemon-process.js";
import { makeTempHome } from "./helpers/temp-home.js";

/*
 * --idle-connection: a connection with no call in flight is closed after that long, so one
 * that never sends a request does not hold a socket (and a file descriptor) forever; an
 * open watch keeps its connection however quiet.
 */

const IDLE_MS = 400;

/** Resolves with how long after `since` the socket closed, or rejects after `timeoutMs`. */
function closedWithin(socket: net.Socket, since: number, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    if (socket.destroyed) return resolve(performance.now() - since);
    const timer = setTimeout(() => reject(new Error(`the daemon kept the connection open for ${timeoutMs} ms`)), timeoutMs);
    socket.once("close", () => (clearTimeout(timer), resolve(performance.now() - since)));
  });
}

describe("idle connections", () => {
  const temp = makeTempHome();
  let daemon: DaemonProcess;
  let c: TestClients;

  beforeAll(async () => {
    daemon = await startDaemonProcess(temp.home, ["--idle-connection", `${IDLE_MS}ms`, "--heartbeat", "100ms"]);
    c = connectClients(daemon.socket);
    await c.messages.createMessage({ threadId: "idle", messageId: "idle-1", status: MessageStatus.PROCESSING });
  });

  afterAll(async () => {
    await daemon?.stop();
    temp.cleanup();
  });

  it("closes a connection that sends nothing, or only the HTTP/2 preface", async () => {
    const silent = net.connect(daemon.socket);
    const preface = net.connect(daemon.socket);
    preface.on("connect", () => preface.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
    for (const s of [silent, preface]) s.on("error", () => undefined).resume(); // they read, never ask
    const started = performance.now();
    const [a, b] = await Promise.all([closedWithin(silent, started, 10_000), closedWithin(preface, started, 10_000)]);
    expect(a).toBeGreaterThanOrEqual(IDLE_MS - 50);
    expect(b).toBeGreaterThanOrEqual(IDLE_MS - 50);
  });

  it("destroys the socket of an idle client that does not even read the daemon's goodbye", async () => {
    const fds = () => fs.readdirSync(`/proc/${daemon.pid}/fd`).length;
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS * 2)); // earlier connections gone
    const baseline = fds();
    const deaf = [net.connect(daemon.socket), net.connect(daemon.socket)];
    for (const s of deaf) s.on("error", () => undefined); // paused: reads nothing
    deaf[1]!.on("connect", () => deaf[1]!.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
    await until(() => fds() >= baseline + 2, 5000);
    // Closed after the idle time, destroyed after the 1 s grace: the descriptors come back.
    await until(() => fds() <= baseline, 10_000);
    for (const s of deaf) s.destroy();
  });

  it("keeps a connection open while a watch is open on it, then closes it once the watch ends", async () => {
    let socket!: net.Socket;
    const session = http2.connect("http://localhost", { createConnection: () => (socket = net.connect(daemon.socket)) });
    session.on("error", () => undefined);
    const watch = session.request({
      ":method": "POST",
      ":path": "/claude_comms.v1.PollingService/WatchMessage",
      "content-type": "application/grpc",
      te: "trailers",
    });
    watch.on("error", () => undefined);
    const body = Buffer.from([0, 0, 0, 0, 8, 0x0a, 6, ...Buffer.from("idle-1")]); // WatchMessageRequest{message_id}
    watch.end(body);
    let frames = 0;
    watch.on("data", () => frames++);
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS * 4));
    expect(socket.destroyed).toBe(false); // four idle periods with a watch open
    expect(frames).toBeGreaterThan(3); // the snapshot and heartbeats kept coming
    const ended = performance.now();
    watch.close(http2.constants.NGHTTP2_CANCEL);
    await closedWithin(socket, ended, 10_000);
    session.destroy();
  });

  it("serves a client again after closing its idle connection (it reconnects)", async () => {
    // A client that keeps its connection (unlike the tests' usual 50 ms): the daemon closes it.
    let connections = 0;
    const transport = createGrpcTransport({
      baseUrl: "http://localhost",
      idleConnectionTimeoutMs: 60_000,
      nodeOptions: { createConnection: () => (connections++, net.connect(daemon.socket)) },
    });
    const polling = createClient(PollingService, transport);
    const first = await polling.showMessage({ messageId: "idle-1" });
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS * 3));
    const again = await polling.showMessage({ messageId: "idle-1" });
    expect(again.message?.messageId).toBe(first.message?.messageId);
    expect(connections).toBe(2);
    const events: EventKind[] = [];
    for await (const res of polling.watchMessage({ messageId: "idle-1" })) {
      events.push(res.event!.kind);
      if (events.length === 3) break;
    }
    expect(events).toEqual([EventKind.SNAPSHOT, EventKind.HEARTBEAT, EventKind.HEARTBEAT]);
  });
});
