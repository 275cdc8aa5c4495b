import type { AskRunner } from "../asks/ask-runner.js";
import type { Hub } from "../hub/hub.js";
import type { Poller } from "../poller/poller.js";
import type { Store } from "../store/open-store.js";
import type { Heartbeats } from "./heartbeats.js";

/** Facts about the running daemon, for GetDaemonStatus. */
export interface DaemonFacts {
  pid: number;
  version: string;
  startTime: number;
  intervalMs: number;
  listen: string[];
}

/** The web dashboard as the handlers see it. */
export interface DashboardLinks {
  /** "127.0.0.1:8080" once listening. */
  readonly listening: string | undefined;
  /** A one-time link to the page; undefined while not listening. */
  createLink(): { url: string; expiresAt: number } | undefined;
}

/** Everything the service handlers use. */
export interface ServiceContext {
  store: Store;
  hub: Hub;
  poller: Poller;
  /** Heartbeat interval of watch streams, in ms. */
  heartbeatMs: number;
  /** The one heartbeat timer of pushed watch streams (the gRPC fast path). */
  heartbeats: Heartbeats;
  /** Largest content of a message, in bytes. */
  maxContentBytes: number;
  /** Longest timeout a request may carry, in ms. */
  maxTimeoutMs: number;
  facts(): DaemonFacts;
  /** Aborted when the daemon starts stopping. */
  shutdown: AbortSignal;
  /** Open watch streams. */
  watchers: { count: number };
  /** Asks the daemon to stop (after the current response is sent). */
  requestStop(): void;
  /** Starts, queues, supervises and cancels the agent runs of asks. */
  asks: AskRunner;
  /** Timeout of an ask that names none, in ms. */
  defaultAskTimeoutMs: number;
  /** The web dashboard, when the daemon serves one (`--dashboard`). */
  dashboard(): DashboardLinks | undefined;
}
