import { create, type MessageInitShape } from "@bufbuild/protobuf";
import type { Message } from "../../gen/claude_comms/v1/message_pb.js";
import { ListMessagesResponseSchema, type ListMessagesRequestSchema } from "../../gen/claude_comms/v1/polling_service_pb.js";
import type { PollingClient } from "../client/polling-client.js";
import { UNARY_TIMEOUT_MS } from "./context.js";

/** A ListMessages request. */
export type ListRequest = MessageInitShape<typeof ListMessagesRequestSchema>;

// The largest page the daemon serves: ten round trips for 10,000 messages instead of a hundred.
const FETCH_PAGE_SIZE = 1000;

/** Every page of a ListMessages request, as one response. */
export async function listAllMessages(polling: PollingClient, request: ListRequest) {
  const messages: Message[] = [];
  let pageToken = "";
  do {
    const response = await polling.listMessages({ ...request, pageSize: FETCH_PAGE_SIZE, pageToken }, { timeoutMs: UNARY_TIMEOUT_MS });
    messages.push(...response.messages);
    pageToken = response.nextPageToken;
  } while (pageToken);
  return create(ListMessagesResponseSchema, { messages });
}
