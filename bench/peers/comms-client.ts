import http2 from "node:http2";
import * as grpc from "@grpc/grpc-js";
import { create, fromBinary, toBinary, type DescMessage, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { MessageStatus } from "../../gen/claude_comms/v1/message_pb.js";
import { SetStatusRequestSchema, SetStatusResponseSchema } from "../../gen/claude_comms/v1/message_service_pb.js";
import {
  ShowMessageRequestSchema,
  ShowMessageResponseSchema,
  WatchMessageRequestSchema,
} from "../../gen/claude_comms/v1/polling_service_pb.js";
import { grpcFrame } from "../lib/h2-watch.js";
import { messageId } from "../lib/seed.js";
import type { PeerClient, PeerClientOptions } from "./peer-client.js";

/*
 * claude-comms as a peer: a write is SetStatus (the status alternates PROCESSING / PENDING,
 * so each write is one logged transition) through @grpc/grpc-js, the same client library the
 * etcd client uses, so both gRPC servers are driven by the same client code (the generated
 * Connect client costs its process about twice the CPU per call, and on a machine whose
 * cores the clients share with the server that sets the figure). A watch is one
 * WatchMessage stream on raw node:http2 that only splits frames (see lib/h2-watch), so the
 * client process costs the server being measured as little as possible.
 */

const WATCH_PATH = "/claude_comms.v1.PollingService/WatchMessage";
const SET_STATUS_PATH = "/claude_comms.v1.MessageService/SetStatus";
const SHOW_MESSAGE_PATH = "/claude_comms.v1.PollingService/ShowMessage";

/** Opens a claude-comms client over `sessions` HTTP/2 connections to the daemon's TCP listener. */
export function commsClient(options: PeerClientOptions): PeerClient {
  const auth = `Bearer ${options.token}`;
  const sessions = Array.from({ length: options.sessions }, () => {
    const session = http2.connect(`http://${options.address}`, {
      settings: { initialWindowSize: 1 << 20, maxConcurrentStreams: 100_000 },
    });
    session.on("connect", () => session.setLocalWindowSize(64 << 20));
    session.on("error", () => undefined);
    return session;
  });
  const unary = new grpc.Client(options.address, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  metadata.set("authorization", auth);
  const call = <I extends DescMessage, O extends DescMessage>(path: string, input: I, output: O, request: MessageInitShape<I>) =>
    new Promise<MessageShape<O>>((resolve, reject) =>
      unary.makeUnaryRequest(
        path,
        (m: MessageShape<I>) => Buffer.from(toBinary(input, m)),
        (b: Buffer) => fromBinary(output, b),
        create(input, request),
        metadata,
        (err, res) => (err ? reject(err) : resolve(res!)),
      ),
    );
  const next = new Map<number, MessageStatus>();
  let opened = 0;
  return {
    async prepare(keys) {
      // The status to write next for each key: the opposite of what it is now.
      const byStatus = await Promise.all(
        keys.map(async (key) => (await call(SHOW_MESSAGE_PATH, ShowMessageRequestSchema, ShowMessageResponseSchema, { messageId: messageId(key) })).message?.status),
      );
      keys.forEach((key, i) => next.set(key, byStatus[i] === MessageStatus.PROCESSING ? MessageStatus.PENDING : MessageStatus.PROCESSING));
    },
    async write(key) {
      const status = next.get(key) ?? MessageStatus.PROCESSING;
      next.set(key, status === MessageStatus.PROCESSING ? MessageStatus.PENDING : MessageStatus.PROCESSING);
      await call(SET_STATUS_PATH, SetStatusRequestSchema, SetStatusResponseSchema, { messageId: messageId(key), status });
    },
    watch(key, onEvents) {
      const session = sessions[opened++ % sessions.length]!;
      const req = session.request({
        ":method": "POST",
        ":path": WATCH_PATH,
        "content-type": "application/grpc+proto",
        te: "trailers",
        authorization: auth,
      });
      req.end(grpcFrame(toBinary(WatchMessageRequestSchema, create(WatchMessageRequestSchema, { messageId: messageId(key) }))));
      req.on("error", () => undefined);
      return new Promise((resolve, reject) => {
        let pending: Buffer | undefined;
        let snapshot = false;
        req.on("close", () => snapshot || reject(new Error(`watch of ${messageId(key)} closed before its snapshot`)));
        req.on("data", (chunk: Buffer) => {
          const buf = pending ? Buffer.concat([pending, chunk]) : chunk;
          let off = 0;
          let events = 0;
          while (buf.length - off >= 5) {
            const len = buf.readUInt32BE(off + 1);
            if (buf.length - off < 5 + len) break;
            if (!snapshot) snapshot = true;
            else if (!isHeartbeat(buf, off + 5)) events++;
            off += 5 + len;
          }
          pending = off < buf.length ? buf.subarray(off) : undefined;
          if (snapshot && !events && off) resolve(() => req.close(http2.constants.NGHTTP2_CANCEL));
          if (events) onEvents(events);
        });
      });
    },
    close() {
      unary.close();
      for (const s of sessions) s.close();
    },
  };
}

/**
 * Whether the WatchMessageResponse at `off` is a heartbeat, read off the wire: its Event
 * (field 1) has a seq (field 1) and then no message_id (field 2, tag 0x12). No decoding.
 */
function isHeartbeat(buf: Buffer, off: number): boolean {
  if (buf[off] !== 0x0a) return false;
  off = skipVarint(buf, off + 1); // the Event's length
  if (buf[off] === 0x08) off = skipVarint(buf, off + 1); // seq
  return buf[off] !== 0x12;
}

function skipVarint(buf: Buffer, off: number): number {
  while (off < buf.length && buf[off]! & 0x80) off++;
  return off + 1;
}
