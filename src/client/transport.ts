import fs from "node:fs";
import net from "node:net";
import type { Interceptor, Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { isLoopback } from "../common/loopback.js";
import { homePaths, resolveHome } from "../common/paths.js";

/** Options for {@link createTransport}; also accepted by every `createXClient` factory. */
export interface TransportOptions {
  /**
   * The daemon's home directory, whose `daemon.sock` is dialled when no `address` is given.
   * Default: `$CLAUDE_COMMS_HOME`, else `~/.claude-comms`.
   */
  home?: string;
  /** `HOST:PORT` of a daemon listening on TCP; when set, the Unix socket is not used. */
  address?: string;
  /**
   * Bearer token sent with every call; every TCP listener requires one. Default with a
   * loopback `address`: the token the home's daemon generated into `<home>/token` when it was
   * started without one (so its owner needs none of these options on the same host).
   */
  token?: string;
  /**
   * PEM certificate(s) of the authority that signed the daemon's TLS certificate. With
   * `address`, connects with TLS (`https://`) trusting only these; ignored on the Unix socket.
   */
  tlsCa?: string | Buffer;
  /**
   * Close the HTTP/2 connection after it has been idle this long. Default: connect-node's
   * 15 minutes; short-lived processes (a CLI, tests) should pass something small, e.g. 100.
   */
  idleConnectionTimeoutMs?: number;
  /** Extra interceptors, run before the token interceptor. */
  interceptors?: Interceptor[];
}

/** Either options for a new transport, or a transport to share between clients. */
export type ClientOptions = TransportOptions | { transport: Transport };

/** The transport of client options: the given one, or a new one from the options. */
export function transportOf(options: ClientOptions): Transport {
  return "transport" in options ? options.transport : createTransport(options);
}

/**
 * Describes where a transport made from these options connects: `unix:/…/daemon.sock`,
 * `HOST:PORT`, or `HOST:PORT (TLS)`. Useful for error messages ("daemon not running at …").
 */
export function describeTarget(options: TransportOptions = {}): string {
  if (options.address) return options.tlsCa ? `${options.address} (TLS)` : options.address;
  return `unix:${homePaths(resolveHome(options.home)).socket}`;
}

/**
 * Creates a gRPC (HTTP/2) transport to a claude-comms daemon: over TCP to `address` when it
 * is given, else over the Unix socket of the home directory. The transport connects lazily,
 * on the first call.
 */
export function createTransport(options: TransportOptions = {}): Transport {
  const interceptors = [...(options.interceptors ?? [])];
  const token = options.token ?? (options.address ? homeTokenFor(options.address, options.home) : undefined);
  if (token) interceptors.push(bearerInterceptor(token));
  const common = {
    interceptors,
    ...(options.idleConnectionTimeoutMs === undefined
      ? {}
      : { idleConnectionTimeoutMs: options.idleConnectionTimeoutMs }),
  };
  if (options.address && options.tlsCa) {
    return createGrpcTransport({ ...common, baseUrl: `https://${checkAddress(options.address)}`, nodeOptions: { ca: options.tlsCa } });
  }
  if (options.address) {
    return createGrpcTransport({ ...common, baseUrl: `http://${checkAddress(options.address)}` });
  }
  const socketPath = homePaths(resolveHome(options.home)).socket;
  return createGrpcTransport({
    ...common,
    // On the local socket, compressing a 10,000-message list costs both sides more CPU than it saves.
    acceptCompression: [],
    baseUrl: "http://localhost",
    nodeOptions: { createConnection: () => net.connect(socketPath) },
  });
}

/** Validates `HOST:PORT` (IPv6 hosts in brackets) and returns it unchanged. */
export function checkAddress(address: string): string {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:\s/\[\]]+):(\d{1,5})$/.exec(address);
  if (!match || Number(match[2]) > 65535) {
    throw new TypeError(`invalid address "${address}": use HOST:PORT, for example 127.0.0.1:7777`);
  }
  return address;
}

// The home's generated token, sent only to a loopback address (never across the network).
function homeTokenFor(address: string, home: string | undefined): string | undefined {
  const host = /^\[?([^\]]*)\]?:\d+$/.exec(address)?.[1];
  if (!isLoopback(host)) return undefined;
  try {
    return fs.readFileSync(homePaths(resolveHome(home)).token, "utf8").split("\n")[0]!.trim() || undefined;
  } catch {
    return undefined; // no generated token (the daemon was given one, or never started here)
  }
}

function bearerInterceptor(token: string): Interceptor {
  return (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
}
