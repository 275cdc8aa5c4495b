import { createClient, type Client } from "@connectrpc/connect";
import { MessageService } from "../../gen/claude_comms/v1/message_service_pb.js";
import { transportOf, type ClientOptions } from "./transport.js";

/** A typed client of `claude_comms.v1.MessageService`. */
export type MessageClient = Client<typeof MessageService>;

/**
 * Creates a client of the daemon's MessageService (create threads and messages, append
 * content, set status).
 *
 * @example
 * const messages = createMessageClient({ home: "/tmp/comms" });
 * const { message } = await messages.createMessage({ threadId: "t1", content: "hello" });
 */
export function createMessageClient(options: ClientOptions = {}): MessageClient {
  return createClient(MessageService, transportOf(options));
}
