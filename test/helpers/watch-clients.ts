import path from "node:path";
import { fileURLToPath } from "node:url";
import { createClient, ConnectError, Code, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { EventKind } from "../../gen/claude_comms/v1/message_pb.js";
import { PollingService } from "../../gen/claude_comms/v1/polling_service_pb.js";

/*
 * One watch, four client stacks: Connect's gRPC, Connect and gRPC-Web transports, and
 * @grpc/grpc-js (stubs loaded from proto/). Each reports what it received and how the stream
 * ended in the same shape, so a test can require the same answer from every protocol.
 */

/** A watch request, in the proto's field names. */
export interface WatchRequest {
  messageId?: string;
  threadId?: string;
  afterSeq?: bigint;
}

/** What one watch stream delivered. */
export interface WatchResult {
  /** Each event as "KIND@seq" (kind without its EVENT_KIND_ prefix). */
  events: string[];
  /** The status the stream ended with ("OK" or the code's name). */
  code: string;
  message: string;
  /** The x-last-seq / x-oldest-seq trailers, when sent. */
  lastSeq?: string;
  oldestSeq?: string;
}

/** A client stack's way of running a watch; with `stall` it reads nothing after the first event until that settles. */
export interface WatchClient {
  name: string;
  watch(method: "watchMessage" | "watchMessages", req: WatchRequest, options?: { stall?: Promise<unknown>; signal?: AbortSignal }): Promise<WatchResult>;
}

const PROTO_DIR = fileURLToPath(new URL("../../proto", import.meta.url));

/** The four client stacks, against `address` (host:port) with `token`. */
export function watchClients(address: string, token: string): WatchClient[] {
  const auth: Interceptor = (next) => (req) => (req.header.set("authorization", `Bearer ${token}`), next(req));
  const options = { baseUrl: `http://${address}`, interceptors: [auth], idleConnectionTimeoutMs: 50 };
  return [
    connectStack("connect-node gRPC", createGrpcTransport(options)),
    connectStack("Connect", createConnectTransport({ ...options, httpVersion: "2" })),
    connectStack("gRPC-Web", createGrpcWebTransport({ ...options, httpVersion: "2" })),
    grpcJsStack(address, token),
  ];
}

const kindName = (kind: EventKind | string) => String(typeof kind === "string" ? kind : `EVENT_KIND_${EventKind[kind]}`).replace(/^EVENT_KIND_/, "");

function connectStack(name: string, transport: Transport): WatchClient {
  const client = createClient(PollingService, transport);
  return {
    name,
    async watch(method, req, options = {}) {
      const result: WatchResult = { events: [], code: "OK", message: "" };
      try {
        for await (const res of client[method](req, { signal: options.signal })) {
          if (res.event) result.events.push(`${kindName(res.event.kind)}@${res.event.seq}`);
          if (options.stall) await options.stall.catch(() => undefined);
        }
      } catch (err) {
        const e = ConnectError.from(err);
        Object.assign(result, { code: Code[e.code], message: e.rawMessage, lastSeq: e.metadata.get("x-last-seq") ?? undefined, oldestSeq: e.metadata.get("x-oldest-seq") ?? undefined });
      }
      return result;
    },
  };
}

type Stub = grpc.Client & Record<string, (req: object, metadata: grpc.Metadata) => grpc.ClientReadableStream<{ event?: { kind: string; seq: string } }>>;

function grpcJsStack(address: string, token: string): WatchClient {
  const definition = protoLoader.loadSync(path.join(PROTO_DIR, "claude_comms/v1/polling_service.proto"), {
    includeDirs: [PROTO_DIR],
    longs: String,
    enums: String,
    defaults: false,
  });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    claude_comms: { v1: { PollingService: new (target: string, creds: grpc.ChannelCredentials) => Stub } };
  };
  const stub = new pkg.claude_comms.v1.PollingService(address, grpc.credentials.createInsecure());
  return {
    name: "@grpc/grpc-js",
    watch(method, req, options = {}) {
      const metadata = new grpc.Metadata();
      metadata.set("authorization", `Bearer ${token}`);
      const body = { messageId: req.messageId, threadId: req.threadId, afterSeq: req.afterSeq?.toString() };
      const call = stub[method === "watchMessage" ? "WatchMessage" : "WatchMessages"]!(body, metadata);
      options.signal?.addEventListener("abort", () => call.cancel());
      const result: WatchResult = { events: [], code: "OK", message: "" };
      return new Promise((resolve) => {
        call.on("data", (res) => {
          if (res.event) result.events.push(`${kindName(res.event.kind)}@${res.event.seq}`);
          const stall = options.stall;
          options.stall = undefined;
          if (stall) (call.pause(), void stall.finally(() => call.resume()));
        });
        call.on("error", (err: grpc.ServiceError) => {
          const header = (key: string) => err.metadata?.get(key)[0]?.toString();
          Object.assign(result, { code: Code[err.code], message: err.details, lastSeq: header("x-last-seq"), oldestSeq: header("x-oldest-seq") });
        });
        call.on("close", () => resolve(result));
      });
    },
  };
}
