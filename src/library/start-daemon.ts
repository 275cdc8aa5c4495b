import type { Event, Message } from "../../gen/claude_comms/v1/message_pb.js";
import { createMessageClient, type MessageClient } from "../client/message-client.js";
import { createModuleClient, type ModuleClient } from "../client/module-client.js";
import { createPollingClient, type PollingClient } from "../client/polling-client.js";
import { parseDaemonConfig } from "../daemon/config.js";
import { Daemon } from "../daemon/daemon.js";

/** Options of {@link startDaemon}; unset ones come from CLAUDE_COMMS_* variables, then defaults. */
export interface StartDaemonOptions {
  /** State directory (socket, database, log). */
  home?: string;
  /** Poller interval in seconds. */
  interval?: number;
  /** Also listen on TCP HOST:PORT (loopback). */
  listen?: string;
  /** Log file, or "-" for stderr. Default: daemon.log in the home. */
  logFile?: string;
  /** Any other daemon flag, as on the command line (e.g. ["--retention", "10m"]). */
  args?: string[];
  /** Every status change (and creation) of a message, in seq order. */
  onStatusChange?: (event: Event) => void;
  /**
   * A message reached COMPLETE, FAILED, TIMED_OUT or CANCELLED: its last event, and the
   * message as it then is, with its content (`message.content`).
   */
  onComplete?: (event: Event, message: Message) => void;
  /** Every event of the log. */
  onEvent?: (event: Event) => void;
}

/** A daemon running inside this process, with clients connected to it. */
export interface EmbeddedDaemon {
  /** Where it listens ("unix:/…/daemon.sock", …). */
  listen: string[];
  polling: PollingClient;
  messages: MessageClient;
  modules: ModuleClient;
  /** Stops gracefully (idempotent). */
  stop(): Promise<void>;
}

/**
 * Starts the daemon in this Node process (same store, socket and rules as `claude-comms
 * poll start`), with callbacks for status changes, and returns clients connected to it.
 */
export async function startDaemon(options: StartDaemonOptions = {}): Promise<EmbeddedDaemon> {
  const flags = [
    ...(options.home ? ["--home", options.home] : []),
    ...(options.interval !== undefined ? ["--interval", String(options.interval)] : []),
    ...(options.listen ? ["--listen", options.listen] : []),
    ...(options.logFile ? ["--log-file", options.logFile] : []),
    ...(options.args ?? []),
  ];
  const config = parseDaemonConfig(flags);
  const { onEvent, onStatusChange, onComplete } = options;
  const daemon = await Daemon.start(config, { onEvent, onStatusChange, onComplete });
  const clientOptions = { home: config.paths.home, idleConnectionTimeoutMs: 1000 };
  return {
    listen: daemon.listen,
    polling: createPollingClient(clientOptions),
    messages: createMessageClient(clientOptions),
    modules: createModuleClient(clientOptions),
    stop: () => daemon.stop("library stop"),
  };
}
