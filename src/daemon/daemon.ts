import fs from "node:fs";
import { AskRunner } from "../asks/ask-runner.js";
import { Dashboard } from "../dashboard/dashboard.js";
import { Hub } from "../hub/hub.js";
import { Poller } from "../poller/poller.js";
import type { ServiceContext } from "../service/context.js";
import { Heartbeats } from "../service/heartbeats.js";
import { setUnreadableReporter } from "../service/readable.js";
import { VERSION } from "../common/version.js";
import { openStore, type Store } from "../store/open-store.js";
import type { EventRecord } from "../store/records.js";
import type { DaemonConfig } from "./config.js";
import { hookDispatcher, type DaemonHooks } from "./hooks.js";
import { Lease } from "./lease.js";
import { homeToken } from "./home-token.js";
import { acquireLock } from "./lock.js";
import { listenTcp, listenUnix, type Listener } from "./listeners.js";
import { openLogger, type Logger } from "./logger.js";
import { buildServer, servedServices, type BuiltServer } from "./server.js";
import { loadTls } from "./tls.js";

export type { DaemonHooks } from "./hooks.js";

const UNARY_GRACE_MS = 5000;
const PROBE_MS = 5000;
const PROBE_UNHEALTHY_MS = 1000;
const SESSION_GRACE_MS = 2000;

/**
 * The running daemon: store, poller, hub and the gRPC server on its listeners. `stop()` is
 * graceful and idempotent: stop accepting, end watches UNAVAILABLE, let unary calls finish,
 * stop the poller, close the store, remove the socket and lock.
 */
export class Daemon {
  readonly startTime = Date.now();
  private stopping: Promise<void> | undefined;
  private readonly listeners: Listener[] = [];
  private onStopped: Array<() => void> = [];

  private constructor(
    readonly config: DaemonConfig,
    readonly store: Store,
    readonly hub: Hub,
    readonly poller: Poller,
    readonly asks: AskRunner,
    private readonly lease: Lease,
    private readonly server: BuiltServer,
    readonly log: Logger,
    private readonly releaseLock: () => void,
    private readonly shutdownController: AbortController,
    /** The web dashboard and metrics (`--dashboard`), when served. */
    readonly dashboard?: Dashboard,
  ) {}

  /** Addresses listened on ("unix:/…", "127.0.0.1:7777"). */
  get listen(): string[] {
    return this.listeners.map((l) => l.address);
  }

  /** Resolves once the daemon has stopped. */
  get stopped(): Promise<void> {
    return new Promise((resolve) => (this.stopping ? void this.stopping.then(resolve) : this.onStopped.push(resolve)));
  }

  /**
   * Starts a daemon on `config.paths.home`; AlreadyRunningError when one runs there. Its
   * `config.token` is always set: the configured token, or the home's (see homeToken).
   */
  static async start(given: DaemonConfig, hooks: DaemonHooks = {}): Promise<Daemon> {
    fs.mkdirSync(given.paths.home, { recursive: true, mode: 0o700 });
    fs.chmodSync(given.paths.home, 0o700);
    const releaseLock = acquireLock(given.paths.lock, given.paths.socket, given.paths.pid);
    let config = given;
    try {
      // Every TCP listener needs a token, loopback included: without one configured, the home's.
      config = { ...given, token: given.token ?? homeToken(given.paths.token) };
    } catch (err) {
      releaseLock();
      throw err;
    }
    const log = openLogger(config.logFile, config.logLevel, config.logFormat, { maxBytes: config.logMaxBytes, keep: config.logFiles });
    let store: Store | undefined;
    let created: Daemon | undefined;
    try {
      store = await openStore({
        url: config.store,
        synchronous: config.synchronous,
        busyTimeoutMs: config.busyTimeoutMs,
        onWarning: (message) => log.warn(message),
      });
      setUnreadableReporter((source, reason) =>
        log.warn("a stored value cannot be sent; clients get a marker instead", { row: source.row, column: source.column, reason }),
      );
      // Built after the poller (it needs the service context); the poller's events reach it once it exists.
      let dashboard: Dashboard | undefined;
      const lease = new Lease(store, log, config.leaseMs);
      const eventListeners = new Set<(event: EventRecord) => void>();
      const asks = new AskRunner({
        store,
        events: (listener) => (eventListeners.add(listener), () => eventListeners.delete(listener)),
        daemonId: lease.daemonId,
        agentCommand: config.agentCommand,
        maxAgents: config.maxAgents,
        maxContentBytes: config.maxContentBytes,
        onError: (message, fields) => log.error(message, fields),
      });
      // Before the lease fails and forgets the runs earlier daemons left: their groups end first.
      const orphans = await asks.endOrphans(store.dialect.name === "sqlite");
      if (orphans) log.warn("ended agents an earlier daemon left running", { count: orphans });
      await lease.start();
      const hub = new Hub({ queueLimit: config.watchQueue, maxSubscriptions: config.maxWatchers });
      const opened = store;
      const dispatchHooks = hookDispatcher(hooks, () => opened.reader, log);
      const poller = new Poller(store, hub, {
        intervalMs: config.intervalMs,
        retentionMs: config.retentionMs,
        historyRetentionMs: config.historyRetentionMs,
        onError: (err) => log.warn("poller tick failed; retrying next tick", { err }),
        onEvent: (event) => {
          for (const listener of eventListeners) listener(event);
          dashboard?.metrics.observeEvent(event);
          dispatchHooks(event);
        },
      });
      const shutdown = new AbortController();
      const ctx = serviceContext(config, store, hub, poller, asks, shutdown.signal, () => created);
      dashboard = config.dashboard ? new Dashboard(config.dashboard, config, ctx) : undefined;
      const server = buildServer(servedServices(ctx), {
        maxRequestBytes: config.maxRequestBytes,
        idleConnectionMs: config.idleConnectionMs,
        token: config.token,
        outerInterceptors: dashboard ? [dashboard.metrics.interceptor()] : [],
        log,
        watches: ctx,
        watchEnded: dashboard ? (method, error) => dashboard.metrics.streamEnded(method, error) : undefined,
      });
      const daemon = new Daemon(config, store, hub, poller, asks, lease, server, log, releaseLock, shutdown, dashboard);
      created = daemon;
      const health = store.health;
      health.onChange(() =>
        health.serving
          ? log.info("store takes writes again; health SERVING")
          : log.warn("store refuses writes; health NOT_SERVING", { reason: health.reason }),
      );
      await poller.start();
      daemon.scheduleProbe();
      await daemon.bind();
      log.info("daemon started", { pid: process.pid, version: VERSION, listen: daemon.listen, store: store.description });
      return daemon;
    } catch (err) {
      // Past construction (e.g. the TCP bind failed), stop() undoes everything: poller, listeners, store, lock, log.
      if (created) await created.stop("start failed");
      else {
        await store?.close().catch(() => undefined);
        log.close();
        releaseLock();
      }
      throw err;
    }
  }

  private probeTimer: NodeJS.Timeout | undefined;

  /**
   * Proves the store takes writes every few seconds (every second while it does not), so
   * health turns NOT_SERVING on a full or read-only store before a client's write fails,
   * and SERVING again once it recovers.
   */
  private scheduleProbe(): void {
    const delay = this.store.health.serving ? PROBE_MS : PROBE_UNHEALTHY_MS;
    this.probeTimer = setTimeout(() => {
      this.store
        .probe()
        .catch((err) => this.log.debug("store probe failed", { error: (err as Error).message }))
        .finally(() => {
          if (!this.stopping) this.scheduleProbe();
        });
    }, delay);
    this.probeTimer.unref();
  }

  private async bind(): Promise<void> {
    const { listen: tcp, tls: tlsFiles, token } = this.config;
    const tls = tcp && tlsFiles ? loadTls(tlsFiles) : undefined;
    this.listeners.push(await listenUnix(this.server.createServer("unix"), this.config.paths.socket));
    await this.dashboard?.listen(this.server.handle, this.log);
    if (!tcp) return;
    this.listeners.push(await listenTcp(this.server.createServer("tcp", tls), tcp.host, tcp.port));
    this.log.info("TCP listener", { address: this.listeners.at(-1)!.address, tls: Boolean(tls), token: Boolean(token) });
    if (!tcp.loopback && !tls) {
      this.log.warn("the TCP listener is not loopback and has no TLS: the token and messages cross the network in clear (set --tls-cert and --tls-key)");
    }
  }

  /** Stops gracefully; every step runs even if an earlier one fails. Idempotent. */
  stop(reason = "requested"): Promise<void> {
    this.stopping ??= this.shutdown(reason).finally(() => this.onStopped.splice(0).forEach((f) => f()));
    return this.stopping;
  }

  private async shutdown(reason: string): Promise<void> {
    this.log.info("daemon stopping", { reason });
    const closing = [...this.listeners.map((l) => l.close()), this.dashboard?.close()];
    clearTimeout(this.probeTimer);
    const steps: Array<[string, () => unknown]> = [
      ["report NOT_SERVING", () => this.shutdownController.abort("daemon stopping")],
      ["end watches", () => this.hub.close()],
      ["finish unary calls", () => this.server.inflight.drained(UNARY_GRACE_MS)],
      ["close connections", () => closeSessions(this.server, SESSION_GRACE_MS)],
      ["close listeners", () => Promise.all(closing)],
      ["stop agents", () => this.asks.close()],
      ["give up the lease", () => this.lease.stop()],
      ["stop poller", () => this.poller.close()],
      ["close store", () => this.store.close()],
      ["release lock", () => this.releaseLock()],
    ];
    for (const [name, step] of steps) {
      try {
        await step();
      } catch (err) {
        this.log.error(`stop step failed: ${name}`, { err });
      }
    }
    this.log.info("daemon stopped");
    this.log.close();
  }
}

function serviceContext(
  config: DaemonConfig,
  store: Store,
  hub: Hub,
  poller: Poller,
  asks: AskRunner,
  shutdown: AbortSignal,
  daemon: () => Daemon | undefined,
): ServiceContext {
  return {
    store,
    hub,
    poller,
    heartbeatMs: config.heartbeatMs,
    heartbeats: new Heartbeats(config.heartbeatMs),
    maxTimeoutMs: config.maxTimeoutMs,
    maxContentBytes: config.maxContentBytes,
    watchers: { count: 0 },
    shutdown,
    facts: () => ({
      pid: process.pid,
      version: VERSION,
      startTime: daemon()?.startTime ?? Date.now(),
      intervalMs: config.intervalMs,
      listen: daemon()?.listen ?? [],
    }),
    // After the response is on its way: stopping first would refuse the call itself.
    requestStop: () => setTimeout(() => void daemon()?.stop("StopDaemon"), 10),
    asks,
    defaultAskTimeoutMs: config.askTimeoutMs,
    dashboard: () => daemon()?.dashboard,
  };
}

async function closeSessions(server: BuiltServer, graceMs: number): Promise<void> {
  const sessions = [...server.sessions];
  await Promise.all(
    sessions.map(
      (session) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => (session.destroy(), resolve()), graceMs);
          session.close(() => (clearTimeout(timer), resolve()));
        }),
    ),
  );
  // destroy() after close() still waits for the peer to close; a client that stopped reading never does.
  for (const socket of server.sockets) socket.destroy();
}
