import http from "node:http";
import os from "node:os";
import type { Peer } from "../service/peer.js";
import type { ListenAddress } from "../daemon/config.js";
import { listenTcp } from "../daemon/listeners.js";
import type { Logger } from "../daemon/logger.js";
import { DashboardAccess, type Verdict } from "./access.js";
import { loadAssets, type Asset } from "./assets.js";
import type { DaemonMetrics } from "./metrics.js";

/** What the dashboard listener needs from the daemon. */
export interface DashboardServerOptions {
  address: ListenAddress;
  /** The daemon's bearer token: always required here (a header, or traded for a session). */
  token: string;
  /** Serves a Connect request with the daemon's own handlers and interceptors. */
  handle(req: http.IncomingMessage, res: http.ServerResponse, peer: Peer): void;
  metrics: DaemonMetrics;
  log: Logger;
}

// The page loads nothing from elsewhere and may not be framed (clickjacking).
const SECURITY_HEADERS = {
  "content-security-policy": "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
};
const CONNECT_PATH = /^\/(claude_comms\.v1|grpc\.health\.v1)\.[A-Za-z]+\/[A-Za-z]+$/;
const CLOSE_GRACE_MS = 2000;

/**
 * The dashboard's HTTP/1.1 listener (browsers speak no plaintext HTTP/2): the page from
 * memory, `/metrics`, and the daemon's Connect services for the page's browser client.
 * Every request passes {@link DashboardAccess} first.
 */
export class DashboardServer {
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: http.Server,
    private readonly access: DashboardAccess,
    /** "127.0.0.1:8080", the address bound. */
    readonly address: string,
    private readonly linkHost: string,
  ) {}

  /** Binds the listener; port 0 picks a free one. Throws when the page was not built or the bind fails. */
  static async start(options: DashboardServerOptions): Promise<DashboardServer> {
    const assets = loadAssets();
    const holder: { access?: DashboardAccess } = {};
    const server = http.createServer((req, res) => serve(req, res, holder.access!, assets, options));
    server.on("clientError", (_err, socket) => socket.destroy()); // a malformed request is the client's failure
    const listener = await listenTcp(server, options.address.host, options.address.port);
    const port = Number(listener.address.slice(listener.address.lastIndexOf(":") + 1));
    holder.access = new DashboardAccess(options.token, allowedHosts(options.address.host, port));
    return new DashboardServer(server, holder.access, listener.address, `${linkHostOf(options.address.host)}:${port}`);
  }

  /** Open sessions. */
  get sessions(): number {
    return this.access.sessionCount;
  }

  /** A one-time link to the page (`http://HOST:PORT/?token=CODE`) and when it expires. */
  createLink(): { url: string; expiresAt: number } {
    const { code, expiresAt } = this.access.createLink();
    return { url: `http://${this.linkHost}/?token=${code}`, expiresAt };
  }

  /**
   * Stops accepting and closes idle connections; connections still busy after a grace (a
   * watch the daemon did not end) are cut. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.server.closeAllConnections(), CLOSE_GRACE_MS);
      this.server.close(() => (clearTimeout(timer), resolve()));
      this.server.closeIdleConnections();
    });
    return this.closing;
  }
}

function serve(req: http.IncomingMessage, res: http.ServerResponse, access: DashboardAccess, assets: Map<string, Asset>, options: DashboardServerOptions): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
  const verdict: Verdict = access.check(req);
  if (verdict.kind === "refuse") return void plain(res, verdict.status, verdict.reason);
  if (verdict.kind === "login") {
    // 303 to the bare page: the code leaves the address bar and the history.
    res.writeHead(303, { location: "/", "cache-control": "no-store", ...(verdict.cookie ? { "set-cookie": verdict.cookie } : {}) }).end();
    return;
  }
  const path = (req.url ?? "/").split("?")[0]!;
  if (CONNECT_PATH.test(path)) return options.handle(req, res, { listener: "dashboard", address: req.socket.remoteAddress });
  if (req.method !== "GET" && req.method !== "HEAD") return void plain(res, 405, `${req.method} is not allowed on ${path}`);
  if (path === "/metrics") return void sendMetrics(res, options);
  const asset = assets.get(path);
  if (!asset) return void plain(res, 404, `nothing at ${path}`);
  const gzip = /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
  res.writeHead(200, {
    "content-type": asset.type,
    "cache-control": "no-cache",
    vary: "accept-encoding",
    ...(gzip ? { "content-encoding": "gzip" } : {}),
  });
  res.end(req.method === "HEAD" ? undefined : gzip ? asset.gzip : asset.body);
}

async function sendMetrics(res: http.ServerResponse, options: DashboardServerOptions): Promise<void> {
  try {
    const { body, contentType } = await options.metrics.scrape();
    res.writeHead(200, { "content-type": contentType, "cache-control": "no-store" }).end(body);
  } catch (err) {
    options.log.error("metrics scrape failed", { err });
    plain(res, 500, "the metrics could not be collected; see the daemon's log");
  }
}

function plain(res: http.ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" }).end(`${text}\n`);
}

/**
 * The Host header values the dashboard answers (against DNS rebinding): its own address,
 * the loopback names when it listens on loopback, and every interface's address and the
 * host name when it listens on all of them.
 */
export function allowedHosts(host: string, port: number): Set<string> {
  const names = new Set([host]);
  const wildcard = host === "0.0.0.0" || host === "::";
  if (wildcard || /^(127\.|localhost$|::1$)/.test(host)) ["127.0.0.1", "localhost", "::1"].forEach((n) => names.add(n));
  if (wildcard) {
    names.add(os.hostname());
    for (const list of Object.values(os.networkInterfaces())) for (const i of list ?? []) names.add(i.address);
  }
  const hosts = new Set<string>();
  for (const name of names) {
    const shown = (name.includes(":") ? `[${name}]` : name).toLowerCase();
    hosts.add(`${shown}:${port}`);
    if (port === 80) hosts.add(shown);
  }
  return hosts;
}

// A wildcard address is no place to browse to: the link names loopback (this machine).
function linkHostOf(host: string): string {
  if (host === "0.0.0.0" || host === "::") return "127.0.0.1";
  return host.includes(":") ? `[${host}]` : host;
}
