import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectClients, type TestClients } from "./helpers/clients.js";
import { startDaemonProcess, type DaemonProcess } from "./helpers/daemon-process.js";
import { makeTempHome } from "./helpers/temp-home.js";

/*
 * Wire compatibility: a second gRPC stack (@grpc/grpc-js with stubs loaded from proto/ at
 * run time, no generated code of ours) talks to the daemon.
 */

const PROTO_DIR = fileURLToPath(new URL("../proto", import.meta.url));

type Callback<T> = (err: grpc.ServiceError | null, value?: T) => void;
interface PollingStub extends grpc.Client {
  AddMessage(req: object, cb: Callback<{ message: Record<string, unknown>; created: boolean }>): void;
  ShowMessage(req: object, cb: Callback<{ message: Record<string, unknown>; history: Array<Record<string, unknown>> }>): void;
  WatchMessage(req: object): grpc.ClientReadableStream<{ event: Record<string, unknown> }>;
}

// The token every TCP call needs; grpc-js sends no call credentials on an insecure channel.
const withToken = (token: string): grpc.Interceptor => (options, nextCall) =>
  new grpc.InterceptingCall(nextCall(options), {
    start: (metadata, listener, next) => {
      metadata.set("authorization", `Bearer ${token}`);
      next(metadata, listener);
    },
  });

function loadStub(target: string, token?: string): PollingStub {
  const definition = protoLoader.loadSync(path.join(PROTO_DIR, "claude_comms/v1/polling_service.proto"), {
    includeDirs: [PROTO_DIR],
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    claude_comms: { v1: { PollingService: new (target: string, creds: grpc.ChannelCredentials, options: grpc.ClientOptions) => PollingStub } };
  };
  return new pkg.claude_comms.v1.PollingService(target, grpc.credentials.createInsecure(), { interceptors: token ? [withToken(token)] : [] });
}

const call = <T>(fn: (cb: Callback<T>) => void) =>
  new Promise<T>((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value as T))));

describe("wire compatibility with @grpc/grpc-js", () => {
  const temp = makeTempHome();
  let daemon: DaemonProcess;
  let ours: TestClients;

  beforeAll(async () => {
    daemon = await startDaemonProcess(temp.home, ["--listen", "127.0.0.1:0", "--interval", "0.1"]);
    ours = connectClients(daemon.socket);
  });

  afterAll(async () => {
    await daemon?.stop();
    temp.cleanup();
  });

  it("answers a method the daemon does not serve UNIMPLEMENTED, naming it", async () => {
    const client = new grpc.Client(`unix://${daemon.socket}`, grpc.credentials.createInsecure());
    try {
      const err = await new Promise<grpc.ServiceError>((resolve, reject) =>
        client.makeUnaryRequest(
          "/claude_comms.v1.PollingService/NoSuchMethod",
          (x: Buffer) => x,
          (x: Buffer) => x,
          Buffer.alloc(0),
          (e) => (e ? resolve(e) : reject(new Error("the call succeeded"))),
        ),
      );
      expect(err.code).toBe(grpc.status.UNIMPLEMENTED);
      expect(err.details).toMatch(/^unknown method \/claude_comms.v1.PollingService\/NoSuchMethod: .*gRPC reflection/);
    } finally {
      client.close();
    }
  });

  for (const transport of ["unix socket", "tcp"] as const) {
    it(`adds, shows and watches a message to its end over the ${transport}`, async () => {
      const target = transport === "tcp" ? daemon.listen[1]! : `unix://${daemon.socket}`;
      const stub = loadStub(target, transport === "tcp" ? fs.readFileSync(path.join(temp.home, "token"), "utf8").trim() : undefined);
      const id = `wire-${transport.replace(" ", "-")}`;
      await ours.messages.createMessage({ threadId: "t-wire", messageId: id, module: "py" });

      const added = await call<{ message: Record<string, unknown>; created: boolean }>((cb) =>
        stub.AddMessage({ message_id: id, timeout: { seconds: 60 }, labels: { team: "wire" } }, cb),
      );
      expect(added.created).toBe(true);
      expect(added.message).toMatchObject({ message_id: id, status: "MESSAGE_STATUS_PENDING" });
      expect((added.message.monitor as { labels: object }).labels).toEqual({ team: "wire" });

      const events: Array<Record<string, unknown>> = [];
      const ended = new Promise<void>((resolve, reject) => {
        const stream = stub.WatchMessage({ message_id: id });
        stream.on("data", (res) => {
          events.push(res.event);
          if (events.length === 1) {
            void ours.messages
              .appendContent({ messageId: id, content: "hello" })
              .then(() => ours.messages.setStatus({ messageId: id, status: 3 }));
          }
        });
        stream.on("error", reject);
        stream.on("end", resolve);
      });
      await ended;
      expect(events[0]).toMatchObject({ kind: "EVENT_KIND_SNAPSHOT" });
      expect(events[events.length - 1]).toMatchObject({
        kind: "EVENT_KIND_STATUS_CHANGED",
        to_status: "MESSAGE_STATUS_COMPLETE",
        content_length: "5",
      });

      const shown = await call<{ message: Record<string, unknown>; history: Array<Record<string, unknown>> }>((cb) =>
        stub.ShowMessage({ message_id: id }, cb),
      );
      expect(shown.message).toMatchObject({ status: "MESSAGE_STATUS_COMPLETE", content_length: "5" });
      // A PROGRESS event may or may not fall between append and completion: timing.
      expect(shown.history.map((e) => e.kind).filter((k) => k !== "EVENT_KIND_PROGRESS")).toEqual([
        "EVENT_KIND_CREATED",
        "EVENT_KIND_REGISTERED",
        "EVENT_KIND_STATUS_CHANGED",
      ]);

      const missing = await call((cb) => stub.ShowMessage({ message_id: "no-such-id" }, cb)).catch((e) => e);
      expect(missing).toMatchObject({ code: grpc.status.NOT_FOUND, details: 'message "no-such-id" not found' });
      stub.close();
    });
  }
});
