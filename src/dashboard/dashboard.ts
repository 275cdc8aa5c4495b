import fs from "node:fs";
import type http from "node:http";
import type { DaemonConfig, ListenAddress } from "../daemon/config.js";
import type { Logger } from "../daemon/logger.js";
import type { ServiceContext } from "../service/context.js";
import type { Peer } from "../service/peer.js";
import { DashboardServer } from "./dashboard-server.js";
import { DaemonMetrics } from "./metrics.js";

/**
 * The daemon's dashboard: the metrics (counting from the daemon's start) and, once bound,
 * the HTTP/1.1 listener serving the page, `/metrics` and the Connect services.
 */
export class Dashboard {
  readonly metrics: DaemonMetrics;
  private server: DashboardServer | undefined;
  private readonly token: string;

  constructor(
    private readonly address: ListenAddress,
    config: DaemonConfig,
    ctx: ServiceContext,
  ) {
    // The daemon always has a token (the configured one, else its home's generated token).
    if (!config.token) throw new Error("the dashboard needs the daemon's token (Daemon.start sets one)");
    this.token = config.token;
    const wal = config.store.startsWith("sqlite:") ? `${config.store.slice("sqlite:".length)}-wal` : undefined;
    this.metrics = new DaemonMetrics({
      watchers: () => ctx.watchers.count,
      agentsRunning: () => ctx.asks.running,
      agentsQueued: () => ctx.asks.queued,
      monitored: () => ctx.poller.monitored,
      headSeq: () => ctx.hub.headSeq,
      ticks: () => ({ ticks: ctx.poller.stats.ticks, skipped: ctx.poller.stats.skipped }),
      storeBytes: () => ctx.store.sizeBytes(),
      walBytes: () => (wal ? fileSize(wal) : 0),
      dashboardSessions: () => this.server?.sessions ?? 0,
    });
    ctx.poller.stats.onTick = (ms) => this.metrics.observeTick(ms);
  }

  /** "127.0.0.1:8080" once listening; undefined before. */
  get listening(): string | undefined {
    return this.server?.address;
  }

  /** Binds the listener; `handle` serves the Connect requests. */
  async listen(handle: (req: http.IncomingMessage, res: http.ServerResponse, peer: Peer) => void, log: Logger): Promise<void> {
    try {
      this.server = await DashboardServer.start({ address: this.address, token: this.token, handle, metrics: this.metrics, log });
    } catch (error) {
      throw new Error(`dashboard (--dashboard): ${(error as Error).message}`, { cause: error });
    }
    log.info("dashboard listener", { address: this.server.address });
  }

  /** A one-time link to the page; undefined while not listening. */
  createLink(): { url: string; expiresAt: number } | undefined {
    return this.server?.createLink();
  }

  /** Closes the listener (idempotent). */
  async close(): Promise<void> {
    await this.server?.close();
  }
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}
