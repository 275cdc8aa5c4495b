import { Redis } from "ioredis";
import type { PeerClient, PeerClientOptions } from "./peer-client.js";

/*
 * Redis streams as a peer: a write is XADD to the key's stream, a watch is one connection
 * blocked in XREAD on it (Redis' way to follow a stream; a blocked connection serves one
 * reader), reading every entry after the last one it saw.
 */

/** Opens a Redis client; each watch opens a connection of its own. */
export function redisClient(options: PeerClientOptions): PeerClient {
  const [host, port] = options.address.split(":") as [string, string];
  const connect = () => new Redis({ host, port: Number(port), lazyConnect: false, maxRetriesPerRequest: 1, enableOfflineQueue: true });
  const writers = Array.from({ length: Math.max(1, Math.min(options.sessions, 16)) }, connect);
  const watchers: Redis[] = [];
  let written = 0;
  return {
    async prepare() {},
    async write(key) {
      await writers[written++ % writers.length]!.xadd(`s-${key}`, "*", "v", "0123456789abcdef");
    },
    async watch(key, onEvents) {
      const conn = connect();
      watchers.push(conn);
      let closed = false;
      let last = "$";
      await conn.ping();
      void (async () => {
        while (!closed) {
          const reply = await conn.xread("BLOCK", 0, "STREAMS", `s-${key}`, last).catch(() => null);
          const entries = reply?.[0]?.[1];
          if (!entries?.length) continue;
          last = entries[entries.length - 1]![0];
          onEvents(entries.length);
        }
      })();
      return () => {
        closed = true;
        conn.disconnect();
      };
    },
    close() {
      for (const c of [...writers, ...watchers]) c.disconnect();
    },
  };
}
