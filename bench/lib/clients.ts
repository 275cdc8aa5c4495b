import net from "node:net";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { MessageService } from "../../gen/claude_comms/v1/message_service_pb.js";
import { EventKind } from "../../gen/claude_comms/v1/message_pb.js";
import { PollingService } from "../../gen/claude_comms/v1/polling_service_pb.js";
import { withTimeout } from "./cleanup.js";

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

/** A watch that reports when each STATUS_CHANGED event arrives (performance.now()). */
export interface TimedWatch {
  /** Resolves at the arrival of the next STATUS_CHANGED event; call before causing it. */
  nextChange(): Promise<number>;
  /** Ends the watch. */
  close(): Promise<void>;
}

/** Opens a WatchMessage on `messageId` and waits (bounded) for its snapshot. */
export async function openTimedWatch(
  polling: Clients["polling"],
  messageId: string,
  timeoutMs: number,
  what: string,
): Promise<TimedWatch> {
  const abort = new AbortController();
  let arrived: ((t: number) => void) | undefined;
  let watching: () => void = () => undefined;
  const started = new Promise<void>((r) => (watching = r));
  const watch = (async () => {
    for await (const res of polling.watchMessage({ messageId }, { signal: abort.signal })) {
      if (res.event?.kind === EventKind.SNAPSHOT) watching();
      else if (res.event?.kind === EventKind.STATUS_CHANGED) arrived?.(performance.now());
    }
  })().catch((err) => {
    if (!abort.signal.aborted) throw err;
  });
  await withTimeout(started, timeoutMs, what);
  return {
    nextChange: () => new Promise<number>((resolve) => (arrived = resolve)),
    close: async () => {
      abort.abort();
      await watch;
    },
  };
}
