import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import path from "node:path";
import { ROOT } from "../lib/paths.js";
import type { PeerClient, PeerClientOptions } from "./peer-client.js";

/*
 * etcd as a peer, through grpc-js and etcd's own protocol (a subset of its protos with the
 * same field numbers, bench/peers/etcd.proto): a write is KV.Put, a watch is one
 * Watch stream per watcher (etcd can multiplex many watches on one stream; the
 * comparison with claude-comms' one WatchMessage per watcher is one stream each), spread
 * over `sessions` connections.
 */

interface EtcdEvent {
  type: number;
}
interface WatchResponse {
  created: boolean;
  canceled: boolean;
  events: EtcdEvent[];
}
type Call = grpc.ClientDuplexStream<unknown, WatchResponse>;
type Ctor = new (address: string, credentials: grpc.ChannelCredentials, options?: object) => grpc.Client & {
  Put(req: unknown, cb: (err: grpc.ServiceError | null) => void): void;
  Watch(): Call;
};

const definition = protoLoader.loadSync(path.join(ROOT, "bench/peers/etcd.proto"), { keepCase: false, longs: Number });
const api = (grpc.loadPackageDefinition(definition) as unknown as { etcdserverpb: { KV: Ctor; Watch: Ctor } }).etcdserverpb;

/** Opens an etcd client over `sessions` connections. */
export function etcdClient(options: PeerClientOptions): PeerClient {
  const credentials = grpc.credentials.createInsecure();
  // A local subchannel pool per client: each is a connection of its own.
  const channel = { "grpc.use_local_subchannel_pool": 1, "grpc.max_concurrent_streams": 100_000 };
  const watchers = Array.from({ length: options.sessions }, () => new api.Watch(options.address, credentials, channel));
  const kv = new api.KV(options.address, credentials, channel);
  const value = Buffer.alloc(16, "v");
  let opened = 0;
  return {
    async prepare() {},
    write: (key) =>
      new Promise((resolve, reject) => kv.Put({ key: Buffer.from(`k-${key}`), value }, (err) => (err ? reject(err) : resolve()))),
    watch(key, onEvents) {
      const call = watchers[opened++ % watchers.length]!.Watch();
      call.on("error", () => undefined);
      call.write({ createRequest: { key: Buffer.from(`k-${key}`) } });
      return new Promise((resolve, reject) => {
        call.on("data", (res: WatchResponse) => {
          if (res.created) resolve(() => call.cancel());
          else if (res.canceled) reject(new Error(`etcd cancelled the watch of k-${key}`));
          if (res.events?.length) onEvents(res.events.length);
        });
      });
    },
    close() {
      for (const c of [...watchers, kv]) c.close();
    },
  };
}
