import http2 from "node:http2";
import type { ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { MessageService } from "../../gen/claude_comms/v1/message_service_pb.js";
import { ModuleService } from "../../gen/claude_comms/v1/module_service_pb.js";
import { PollingService } from "../../gen/claude_comms/v1/polling_service_pb.js";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import type { ServiceContext } from "../service/context.js";
import { healthService } from "../service/health-service.js";
import { REFLECTION_SERVICES, reflectionServices } from "../service/reflection-service.js";
import { messageService } from "../service/message-service.js";
import { moduleService } from "../service/module-service.js";
import { pollingService } from "../service/polling-service.js";
import { errorInterceptor, InFlight } from "./interceptors.js";
import type { Logger } from "./logger.js";

/** Limits of the HTTP/2 server. */
export interface ServerOptions {
  /** Largest request message, bytes. */
  maxRequestBytes: number;
  /** Concurrent streams per HTTP/2 connection. */
  maxConcurrentStreams?: number;
  log: Logger;
}

/** The request handler and what a graceful stop needs to reach. */
export interface BuiltServer {
  /** Creates an HTTP/2 server (h2c) serving every service; call as many times as listeners. */
  createServer(): http2.Http2Server;
  /** Every open HTTP/2 session, to close on stop. */
  sessions: Set<http2.ServerHttp2Session>;
  inflight: InFlight;
}

/** Registers every service on a Connect router: ours, health and reflection. */
export function routes(ctx: ServiceContext): (router: ConnectRouter) => void {
  const ours = [PollingService, MessageService, ModuleService];
  const served = [...ours, Health, ...REFLECTION_SERVICES];
  const reflection = reflectionServices(served);
  return (router) => {
    router.service(PollingService, pollingService(ctx));
    router.service(MessageService, messageService(ctx));
    router.service(ModuleService, moduleService(ctx));
    router.service(Health, healthService(ctx, served.map((s) => s.typeName)));
    router.service(REFLECTION_SERVICES[0], reflection.v1);
    router.service(REFLECTION_SERVICES[1], reflection.v1alpha);
  };
}

/** Builds the server without listening: gRPC, gRPC-Web and Connect on one h2c handler. */
export function buildServer(register: (router: ConnectRouter) => void, options: ServerOptions): BuiltServer {
  const inflight = new InFlight();
  const sessions = new Set<http2.ServerHttp2Session>();
  const handler = connectNodeAdapter({
    routes: register,
    interceptors: [errorInterceptor(options.log, inflight)],
    readMaxBytes: options.maxRequestBytes,
    writeMaxBytes: options.maxRequestBytes * 4,
  });
  const createServer = () => {
    const server = http2.createServer(
      { settings: { maxConcurrentStreams: options.maxConcurrentStreams ?? 2000 } },
      handler,
    );
    server.on("session", (session) => {
      sessions.add(session);
      session.on("close", () => sessions.delete(session));
      session.on("error", () => undefined); // a broken client connection is not our failure
    });
    return server;
  };
  return { createServer, sessions, inflight };
}
