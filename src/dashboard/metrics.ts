import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { EventRecord } from "../store/records.js";
import { isTerminalEvent } from "../store/records.js";

/** Figures the metrics read at each scrape. */
export interface MetricSources {
  watchers(): number;
  agentsRunning(): number;
  agentsQueued(): number;
  monitored(): number;
  headSeq(): number;
  ticks(): { ticks: number; skipped: number };
  /** Database and write-ahead log, bytes. */
  storeBytes(): number;
  /** The SQLite write-ahead log alone, bytes (0 on PostgreSQL). */
  walBytes(): number;
  dashboardSessions(): number;
}

const P = "claude_comms_";
// Asks whose outcome is awaited; bounded, since a response might never reach the event log.
const MAX_PENDING_ASKS = 100_000;

/**
 * The daemon's Prometheus metrics, in their own registry (an embedded daemon must not mix
 * with its host's default registry): RPCs by method and code, unary latency, events by
 * kind, poller ticks, asks by outcome, and gauges read at scrape time, plus the default
 * process metrics.
 */
export class DaemonMetrics {
  readonly registry = new Registry();
  private readonly rpcs = new Counter({ name: `${P}rpc_requests_total`, help: "RPCs finished, by method and code (streams when they end)", labelNames: ["method", "code"], registers: [this.registry] });
  private readonly latency = new Histogram({
    name: `${P}rpc_duration_seconds`,
    help: "Duration of unary RPCs, by method and code",
    labelNames: ["method", "code"],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly events = new Counter({ name: `${P}events_total`, help: "Events published from the log, by kind", labelNames: ["kind"], registers: [this.registry] });
  private readonly ticks = new Histogram({
    name: `${P}poller_tick_duration_seconds`,
    help: "Duration of poller ticks that did work",
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });
  private readonly asks = new Counter({ name: `${P}asks_total`, help: "Asks (AskModule) by outcome: started, then the response's final status", labelNames: ["outcome"], registers: [this.registry] });
  private readonly pendingAsks = new Set<string>();

  constructor(sources: MetricSources) {
    collectDefaultMetrics({ register: this.registry });
    this.gauges(sources);
  }

  /** The text format of a scrape, and its content type. */
  async scrape(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }

  /** Counts an event of the log, and the outcome of an ask whose response it ends. */
  observeEvent(event: EventRecord): void {
    this.events.inc({ kind: event.kind });
    if (isTerminalEvent(event) && this.pendingAsks.delete(event.messageId)) this.asks.inc({ outcome: event.toStatus ?? "unknown" });
  }

  /** Records a poller tick's duration. */
  observeTick(ms: number): void {
    this.ticks.observe(ms / 1000);
  }

  /** Counts every RPC with its final code, times unary ones, and notes the asks started. */
  interceptor(): Interceptor {
    return (next) => async (req) => {
      const method = `${req.service.typeName}/${req.method.name}`;
      const started = performance.now();
      try {
        const res = await next(req);
        if (res.stream) return { ...res, message: this.countStream(res.message, method) };
        this.finish(method, "ok", started);
        if (req.method.name === "AskModule") this.askStarted((res.message as { responseMessageId?: string }).responseMessageId);
        return res;
      } catch (err) {
        this.finish(method, codeName(err), started);
        throw err;
      }
    };
  }

  /**
   * Counts a stream served beneath the Connect router (the gRPC watch fast path), as the
   * interceptor counts the others: once, with the code it ended with.
   */
  streamEnded(method: string, error: ConnectError | undefined): void {
    this.rpcs.inc({ method, code: error ? codeName(error) : "ok" });
  }

  private finish(method: string, code: string, started: number): void {
    this.rpcs.inc({ method, code });
    this.latency.observe({ method, code }, (performance.now() - started) / 1000);
  }

  private askStarted(responseId: string | undefined): void {
    if (!responseId) return;
    this.asks.inc({ outcome: "started" });
    if (this.pendingAsks.size >= MAX_PENDING_ASKS) this.pendingAsks.clear();
    this.pendingAsks.add(responseId);
  }

  // A plain iterator (not a generator): it sits on the path of every event to every watcher.
  private countStream<T>(stream: AsyncIterable<T>, method: string): AsyncIterable<T> {
    const rpcs = this.rpcs;
    return {
      [Symbol.asyncIterator]() {
        let counted = false; // once per stream, whichever way it ends
        const count = (code: string) => counted || ((counted = true), rpcs.inc({ method, code }));
        const it = stream[Symbol.asyncIterator]();
        return {
          next: () =>
            it.next().then(
              (r) => (r.done && count("ok"), r),
              (err: unknown) => (count(codeName(err)), Promise.reject(err)),
            ),
          return: (value?: unknown) => (count("canceled"), it.return ? it.return(value) : Promise.resolve({ done: true as const, value: value as T })),
          throw: (err?: unknown) => (it.throw ? it.throw(err) : Promise.reject(err)),
        };
      },
    };
  }

  private gauges(s: MetricSources): void {
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({ name: `${P}${name}`, help, registers: [this.registry], collect() { this.set(read()); } });
    gauge("watchers", "Open watch streams", s.watchers);
    gauge("agents_running", "Agents of asks running now", s.agentsRunning);
    gauge("agents_queued", "Asks waiting for an agent slot", s.agentsQueued);
    gauge("monitored_messages", "Messages monitored now", s.monitored);
    gauge("head_seq", "Newest seq of the event log", s.headSeq);
    gauge("store_bytes", "Size of the store (database and write-ahead log), bytes; 0 when unknown", s.storeBytes);
    gauge("wal_bytes", "Size of the SQLite write-ahead log, bytes", s.walBytes);
    gauge("dashboard_sessions", "Open dashboard sessions", s.dashboardSessions);
    const counter = (name: string, help: string, read: () => number) =>
      new Counter({ name: `${P}${name}`, help, registers: [this.registry], collect() { this.reset(); this.inc(read()); } });
    counter("poller_ticks_total", "Poller ticks", () => s.ticks().ticks);
    counter("poller_skipped_ticks_total", "Poller ticks skipped because nothing changed", () => s.ticks().skipped);
  }
}

// "not_found", as the Connect protocol spells codes.
function codeName(err: unknown): string {
  const code = err instanceof ConnectError ? err.code : Code.Unknown;
  return Code[code].replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
}
