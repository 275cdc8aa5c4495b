/**
 * claude-comms as a library: typed clients of the daemon, the original tool's
 * `poll_message_until_complete` and `module_ask_module` as functions, and an embeddable
 * daemon with callbacks.
 *
 * @example
 * import { createPollingClient, pollMessageUntilComplete, startDaemon } from "claude-comms";
 */
export {
  createMessageClient,
  createModuleClient,
  createPollingClient,
  createTransport,
  type ClientOptions,
  type MessageClient,
  type ModuleClient,
  type PollingClient,
  type TransportOptions,
} from "./client/clients.js";
export { pollMessageUntilComplete, type PollOptions, type PollResult } from "./library/poll-until-complete.js";
export { askModule, type AskOptions, type AskResult } from "./library/ask-module.js";
export { startDaemon, type EmbeddedDaemon, type StartDaemonOptions } from "./library/start-daemon.js";
export { EventKind, MessageStatus, type Event, type Message, type Thread } from "../gen/claude_comms/v1/message_pb.js";
export { durationFromSeconds } from "./library/durations.js";
// The helpers for the well-known types the requests and messages carry (Duration, Timestamp).
export { durationFromMs, durationMs, timestampDate, timestampFromDate, timestampFromMs, timestampMs, type Duration, type Timestamp } from "@bufbuild/protobuf/wkt";
