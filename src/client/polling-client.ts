import { createClient, type Client } from "@connectrpc/connect";
import { PollingService } from "../../gen/claude_comms/v1/polling_service_pb.js";
import { transportOf, type ClientOptions } from "./transport.js";

/** A typed client of `claude_comms.v1.PollingService`. */
export type PollingClient = Client<typeof PollingService>;

/**
 * Creates a client of the daemon's PollingService (register, show, list, watch and wait for
 * messages; daemon status and stop).
 *
 * @example
 * const polling = createPollingClient({ home: "/tmp/comms", idleConnectionTimeoutMs: 100 });
 * const { message, finished } = await polling.waitMessage({ messageId: "m1" });
 */
export function createPollingClient(options: ClientOptions = {}): PollingClient {
  return createClient(PollingService, transportOf(options));
}
