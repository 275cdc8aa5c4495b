import type { JsonObject } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { createModuleClient } from "../client/module-client.js";
import { createPollingClient } from "../client/polling-client.js";
import { createTransport, type ClientOptions } from "../client/transport.js";
import type { Event } from "../../gen/claude_comms/v1/message_pb.js";
import { pollMessageUntilComplete, type PollResult } from "./poll-until-complete.js";

/** Options of {@link askModule}. */
export type AskOptions = ClientOptions & {
  from: string;
  to: string;
  question: string;
  threadId?: string;
  /** Seconds the agent may run; default the daemon's (10 minutes). */
  timeout?: number;
  metadata?: JsonObject;
  /** Wait for the answer (the original tool's wait_for_completion). */
  waitForCompletion?: boolean;
  onProgress?: (event: Event) => void;
};

/** The ids of an ask, and with `waitForCompletion` the finished response and its text. */
export interface AskResult {
  threadId: string;
  questionMessageId: string;
  responseMessageId: string;
  response?: PollResult;
}

/** Asks module `to` a question on behalf of `from`; optionally waits for the answer. */
export async function askModule(options: AskOptions): Promise<AskResult> {
  const transport = "transport" in options ? options.transport : createTransport(options);
  const ids = await createModuleClient({ transport }).askModule({
    fromModule: options.from,
    toModule: options.to,
    question: options.question,
    threadId: options.threadId ?? "",
    timeout: options.timeout === undefined ? undefined : durationFromMs(Math.round(options.timeout * 1000)),
    metadata: options.metadata,
  });
  const result: AskResult = {
    threadId: ids.threadId,
    questionMessageId: ids.questionMessageId,
    responseMessageId: ids.responseMessageId,
  };
  if (!options.waitForCompletion) return result;
  const polling = createPollingClient({ transport });
  const response = await pollMessageUntilComplete({ transport, client: polling, messageId: ids.responseMessageId, onProgress: options.onProgress });
  return { ...result, response };
}
