import net from "node:net";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { MessageService } from "../../gen/claude_comms/v1/message_service_pb.js";
import { PollingService } from "../../gen/claude_comms/v1/polling_service_pb.js";

/** Generated Connect clients over one gRPC transport to a Unix socket. */
export interface Clients {
  polling: Client<typeof PollingService>;
  messages: Client<typeof MessageService>;
}

/** Clients for the server on `socket`, with short-lived connections. */
export function connectClients(socket: string): Clients {
  const transport = createGrpcTransport({
    baseUrl: "http://localhost",
    idleConnectionTimeoutMs: 100,
    nodeOptions: { createConnection: () => net.connect(socket) },
  });
  return { polling: createClient(PollingService, transport), messages: createClient(MessageService, transport) };
}
