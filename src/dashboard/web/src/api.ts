import { createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { ModuleService } from "../../../../gen/claude_comms/v1/module_service_pb.js";
import { MessageService } from "../../../../gen/claude_comms/v1/message_service_pb.js";
import { PollingService } from "../../../../gen/claude_comms/v1/polling_service_pb.js";

/** The daemon's services, reached over the page's own origin (Connect protocol, JSON). */
export interface Api {
  polling: Client<typeof PollingService>;
  messages: Client<typeof MessageService>;
  modules: Client<typeof ModuleService>;
}

/** Clients on one transport; the session cookie authenticates every call. */
export function createApi(): Api {
  const transport = createConnectTransport({ baseUrl: location.origin });
  return {
    polling: createClient(PollingService, transport),
    messages: createClient(MessageService, transport),
    modules: createClient(ModuleService, transport),
  };
}
