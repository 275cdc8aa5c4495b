import { createClient, type Client } from "@connectrpc/connect";
import { ModuleService } from "../../gen/claude_comms/v1/module_service_pb.js";
import type { TestClients } from "./clients.js";

/** A ModuleService client on the same transport as `clients`. */
export function moduleClient(clients: TestClients): Client<typeof ModuleService> {
  return createClient(ModuleService, clients.transport);
}
