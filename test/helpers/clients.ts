import net from "node:net";
import { createClient, type Client, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { MessageService } from "../../gen/claude_comms/v1/message_service_pb.js";
import { PollingService } from "../../gen/claude_comms/v1/polling_service_pb.js";

/** Generated clients over one gRPC transport. */
export interface TestClients {
  polling: Client<typeof PollingService>;
  messages: Client<typeof MessageService>;
  transport: Transport;
}

/** Clients for a daemon on a Unix socket (or "host:port"), with short-lived connections. */
export function connectClients(target: string): TestClients {
  const transport = target.startsWith("/")
    ? createGrpcTransport({
        baseUrl: "http://localhost",
        idleConnectionTimeoutMs: 50,
        nodeOptions: { createConnection: () => net.connect(target) },
      })
    : createGrpcTransport({ baseUrl: `http://${target}`, idleConnectionTimeoutMs: 50 });
  return {
    polling: createClient(PollingService, transport),
    messages: createClient(MessageService, transport),
    transport,
  };
}
