import type http from "node:http";
import http2 from "node:http2";
import type net from "node:net";
import { createContextValues, type ConnectError, type ConnectRouter, type Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { MessageService } from "../../gen/claude_comms/v1/message_service_pb.js";
import { ModuleService } from "../../gen/claude_comms/v1/module_service_pb.js";
import { PollingService } from "../../gen/claude_comms/v1/polling_service_pb.js";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import type { ServiceContext } from "../service/context.js";
import { toConnectError } from "../service/errors.js";
import { kPeer, TlsRequiredError, type Peer } from "../service/peer.js";
import { healthService } from "../service/health-service.js";
import { REFLECTION_SERVICES, reflectionServices } from "../service/reflection-service.js";
import { messageService } from "../service/message-service.js";
import { moduleService } from "../service/module-service.js";
import { pollingService } from "../service/polling-service.js";
import { bearerAuthInterceptor, tokenCheck } from "./auth.js";
import { GrpcUnary, type ServedService } from "./grpc-unary.js";
import { isGrpcWatch, serveGrpcWatch } from "./grpc-watch.js";
import { errorInterceptor, InFlight } from "./interceptors.js";
import type { Logger } from "./logger.js";
import type { TlsMaterial } from "./tls.js";
import { createSniffingServer } from "./tls-sniff.js";
import { answerUnknownMethod } from "./unknown-method.js";

/** Limits of the HTTP/2 server. */
export interface ServerOptions {
  /** Largest request message, bytes. */
  maxRequestBytes: number;
  /** Concurrent streams per HTTP/2 connection. */
  maxConcurrentStreams?: number;
  /**
   * A connection with no call in flight for this long is closed gracefully (GOAWAY; clients
   * reconnect on their next call), as gRPC's MaxConnectionIdle: one that never sends a
   * request does not hold a socket forever. Default 5 minutes.
   */
  idleConnectionMs?: number;
  /** Bearer token required on TCP listeners (never on the Unix socket); none when unset. */
  token?: string;
  /** Interceptors run outside every other (the metrics' one): they see each call's final code. */
  outerInterceptors?: Interceptor[];
  log: Logger;
  /** Serves gRPC watch streams on the fast path (grpc-watch.ts) with this context; else all go through Connect. */
  watches?: ServiceContext;
  /** Told how each fast-path watch ended ("service/Method", the error or undefined), as the outer interceptors see the others. */
  watchEnded?: (method: string, error: ConnectError | undefined) => void;
}

/** A listening server: HTTP/2 cleartext, or TLS (with a plaintext explainer) over one port. */
export type AnyHttp2Server = http2.Http2Server | net.Server;

const TLS_REQUIRED =
  "this daemon's TCP listener requires TLS: connect with https:// and trust the daemon's certificate " +
  "(claude-comms: --tls-ca FILE or CLAUDE_COMMS_TLS_CA)";

/** The request handler and what a graceful stop needs to reach. */
export interface BuiltServer {
  /**
   * Creates an HTTP/2 server serving every service, one per listener: requests are tagged
   * with the listener (the Unix socket is trusted, TCP needs the token). With `tls` it
   * serves TLS (ALPN h2 only) and answers plaintext clients FAILED_PRECONDITION saying so;
   * else h2c.
   */
  createServer(listener: Peer["listener"], tls?: TlsMaterial): AnyHttp2Server;
  /** Every open HTTP/2 session, to close on stop. */
  sessions: Set<http2.ServerHttp2Session>;
  /**
   * The socket of every open connection. A session's close() only half-closes its socket and
   * waits for the peer, which a client that stopped reading never answers: the stop destroys
   * the sockets still open after its grace.
   */
  sockets: Set<net.Socket>;
  inflight: InFlight;
  /**
   * Serves one Connect request arriving some other way (the dashboard's HTTP/1.1 listener),
   * tagged with its peer.
   */
  handle(req: http.IncomingMessage, res: http.ServerResponse, peer: Peer): void;
}

/** Every service the daemon serves, with its handlers: ours, health and reflection. */
export function servedServices(ctx: ServiceContext): ServedService[] {
  const ours = [PollingService, MessageService, ModuleService];
  const served = [...ours, Health, ...REFLECTION_SERVICES];
  const reflection = reflectionServices(served);
  return [
    { service: PollingService, impl: pollingService(ctx) },
    { service: MessageService, impl: messageService(ctx) },
    { service: ModuleService, impl: moduleService(ctx) },
    { service: Health, impl: healthService(ctx, served.map((s) => s.typeName)) },
    { service: REFLECTION_SERVICES[0], impl: reflection.v1 },
    { service: REFLECTION_SERVICES[1], impl: reflection.v1alpha },
  ];
}

/** Registers the services on a Connect router. */
export function routes(services: ServedService[]): (router: ConnectRouter) => void {
  return (router) => {
    for (const { service, impl } of services) router.service(service, impl as never);
  };
}

/** Builds the server without listening: gRPC, gRPC-Web and Connect on one handler. */
export function buildServer(services: ServedService[], options: ServerOptions): BuiltServer {
  const register = routes(services);
  const inflight = new InFlight();
  const sessions = new Set<http2.ServerHttp2Session>();
  const sockets = new Set<net.Socket>();
  const peers = new WeakMap<object, Peer>();
  // The error interceptor is outermost, so refusals by the inner ones get their codes mapped.
  const interceptors: Interceptor[] = [...(options.outerInterceptors ?? []), errorInterceptor(options.log, inflight)];
  if (options.token) interceptors.push(bearerAuthInterceptor(options.token));
  const handler = connectNodeAdapter({
    routes: register,
    interceptors,
    fallback: answerUnknownMethod,
    readMaxBytes: options.maxRequestBytes,
    writeMaxBytes: options.maxRequestBytes * 4, // as the unary fast path's maxResponseBytes
    // A request not tagged by a listener below is treated as TCP: never trusted by mistake.
    contextValues: (req) => createContextValues().set(kPeer, peers.get(req) ?? { listener: "tcp" }),
  });
  const fast = options.watches && {
    ctx: options.watches,
    log: options.log,
    maxRequestBytes: options.maxRequestBytes,
    authorize: options.token ? tokenCheck(options.token) : undefined,
    ended: options.watchEnded,
  };
  const unary = new GrpcUnary(services, {
    log: options.log,
    maxRequestBytes: options.maxRequestBytes,
    maxResponseBytes: options.maxRequestBytes * 4,
    authorize: options.token ? tokenCheck(options.token) : undefined,
    interceptors: options.outerInterceptors ?? [],
    inflight,
  });
  const settings = { maxConcurrentStreams: options.maxConcurrentStreams ?? 2000 };
  const idleMs = options.idleConnectionMs ?? 300_000;
  const track = <S extends net.Server>(server: S) => (trackSessions(server, { sessions, sockets, idleMs }, options.log), server);
  const createServer = (listener: Peer["listener"], tls?: TlsMaterial) => {
    let server: net.Server | undefined;
    // A Unix listener's path, read once it listens (server.address() costs a call into the handle).
    let socketPath: string | undefined;
    const tagged = (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => {
      if (listener !== "tcp" && socketPath === undefined) {
        const bound = server?.address();
        socketPath = typeof bound === "string" ? bound : undefined;
      }
      const peer: Peer = listener === "tcp" ? { listener, address: req.socket.remoteAddress } : { listener, socketPath };
      if (fast && isGrpcWatch(req.headers)) return void serveGrpcWatch(req, res, peer, fast);
      if (unary.accepts(req.headers)) return void unary.serve(req, res, peer);
      peers.set(req, peer);
      handler(req, res);
    };
    if (!tls) return (server = track(http2.createServer({ settings }, tagged)));
    // Tracked too: a connection still silent (not yet handed on) is destroyed on stop as well.
    return track(createSniffingServer({
      tls: track(http2.createSecureServer({ settings, cert: tls.cert, key: tls.key, allowHTTP1: false }, tagged)),
      plain: track(http2.createServer({ settings }, tlsRequiredHandler(register))),
    }));
  };
  const handle = (req: http.IncomingMessage, res: http.ServerResponse, peer: Peer) => (peers.set(req, peer), handler(req, res));
  return { createServer, sessions, sockets, inflight, handle };
}

// Answers every call FAILED_PRECONDITION "requires TLS", in the caller's own protocol.
function tlsRequiredHandler(register: (router: ConnectRouter) => void) {
  return connectNodeAdapter({
    routes: register,
    interceptors: [() => async () => { throw toConnectError(new TlsRequiredError(TLS_REQUIRED)); }],
  });
}

interface Tracked {
  sessions: Set<http2.ServerHttp2Session>;
  sockets: Set<net.Socket>;
  idleMs: number;
}

function trackSessions(server: net.Server, tracked: Tracked, log: Logger): void {
  const { sessions, sockets } = tracked;
  // node:http2 emits "session" from its own connection listener, just before ours runs with
  // the socket: that pairs each session with its socket (the session only exposes a proxy).
  let opened: http2.ServerHttp2Session | undefined;
  const paired = (socket: net.Socket) => {
    const session = opened;
    opened = undefined;
    if (session) closeWhenIdle(session, socket, tracked.idleMs);
  };
  server.on("connection", (socket: net.Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    paired(socket);
  });
  server.on("secureConnection", paired);
  server.on("session", (session: http2.ServerHttp2Session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
    session.on("error", () => undefined); // a broken client connection is not our failure
    opened = session;
  });
  // A client speaking plaintext (or an untrusting one) to the TLS listener: its failure, not ours.
  server.on("tlsClientError", (err: Error) => log.debug("TLS handshake failed", { error: err.message }));
}

/** How long a closed idle connection has to hang up before its socket is destroyed. */
const IDLE_CLOSE_GRACE_MS = 1000;

// Closes the session once no stream has been open on it for `idleMs` (since it was opened,
// or since its last stream ended); an open watch keeps its connection however quiet. A
// client that never reads would keep the socket half-open after the GOAWAY: it is destroyed
// after a grace.
function closeWhenIdle(session: http2.ServerHttp2Session, socket: net.Socket, idleMs: number): void {
  let open = 0;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    timer = setTimeout(() => {
      session.close();
      setTimeout(() => socket.destroy(), IDLE_CLOSE_GRACE_MS).unref();
    }, idleMs);
    timer.unref();
  };
  session.on("stream", (stream: http2.ServerHttp2Stream) => {
    open++;
    clearTimeout(timer);
    stream.once("close", () => {
      if (--open === 0 && !session.closed) arm();
    });
  });
  session.once("close", () => clearTimeout(timer));
  arm();
}
