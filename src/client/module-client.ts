import { createClient, type Client } from "@connectrpc/connect";
import { ModuleService } from "../../gen/claude_comms/v1/module_service_pb.js";
import { transportOf, type ClientOptions } from "./transport.js";

/** A typed client of `claude_comms.v1.ModuleService`. */
export type ModuleClient = Client<typeof ModuleService>;

/**
 * Creates a client of the daemon's ModuleService (register, list and remove modules; ask a
 * module a question).
 *
 * @example
 * const modules = createModuleClient({ address: "127.0.0.1:7777" });
 * const ids = await modules.askModule({ fromModule: "marker", toModule: "arangodb", question: "…" });
 */
export function createModuleClient(options: ClientOptions = {}): ModuleClient {
  return createClient(ModuleService, transportOf(options));
}
