import { commsClient } from "./comms-client.js";
import { etcdClient } from "./etcd-client.js";
import { redisClient } from "./redis-client.js";
import type { System } from "./servers.js";

/** How a peer client connects. */
export interface PeerClientOptions {
  system: System;
  /** host:port on loopback. */
  address: string;
  token?: string;
  /** Connections the watch streams are spread over. */
  sessions: number;
}

/**
 * The same client shape for every system: keys are numbers (claude-comms messages
 * m-0000001…, etcd keys k-1…, Redis streams s-1…), a write is one durable change of a key
 * that its watchers see as one event, a watch is one stream per watcher.
 */
export interface PeerClient {
  /** Reads what a first write to each of `keys` needs (claude-comms: the current status). */
  prepare(keys: number[]): Promise<void>;
  /** One write to `key`; resolves once the server acknowledged it. */
  write(key: number): Promise<void>;
  /**
   * Opens one watch stream on `key`; resolves once it is established (with the function
   * that closes it); `onEvents(n)` runs for each batch of n events delivered.
   */
  watch(key: number, onEvents: (n: number) => void): Promise<() => void>;
  close(): void;
}

/** Opens the client of `options.system`. */
export function openPeerClient(options: PeerClientOptions): PeerClient {
  switch (options.system) {
    case "claude-comms":
      return commsClient(options);
    case "etcd":
      return etcdClient(options);
    case "redis":
      return redisClient(options);
  }
}
