import pg from "pg";

const CHANNEL = "claude_comms_events";
/** The advisory lock whose holder runs the singleton duties. */
const LEADER_LOCK = 4_242_002;
const RECONNECT_MAX_MS = 5000;

/**
 * One dedicated PostgreSQL session per daemon: it LISTENs for the notification every commit
 * that writes events sends, and holds the leader's advisory lock. When the session drops,
 * the daemon falls back to its poll interval (changeVersion() is NaN), loses leadership,
 * and reconnects with backoff; after reconnecting it signals a change, so the poller
 * re-reads from its cursor (a notification is never replayed).
 */
export class PgListener {
  private client: pg.Client | undefined;
  private version = 0;
  private connected = false;
  private leader = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly url: string) {}

  /** Connects once; later failures reconnect in the background. */
  async start(): Promise<void> {
    await this.connect();
  }

  /** Changes on every notification; NaN while disconnected. */
  changeVersion(): number {
    return this.connected ? this.version : Number.NaN;
  }

  /** Calls `listener` on every notification and reconnection. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** True when this session holds (or just took) the leader lock. */
  async tryLead(): Promise<boolean> {
    if (!this.connected || !this.client) return false;
    if (this.leader) return true;
    try {
      const result = await this.client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1) AS ok", [LEADER_LOCK]);
      this.leader = result.rows[0]?.ok === true;
    } catch {
      this.leader = false;
    }
    return this.leader;
  }

  /** Ends the session (releasing the leader lock). Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    this.connected = false;
    this.leader = false;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    // The pid in application_name lets an operator (and the tests) see which daemon leads.
    const client = new pg.Client({ connectionString: this.url, application_name: `claude-comms/${process.pid}` });
    client.on("notification", () => this.changed());
    client.on("error", () => this.lost(client));
    client.on("end", () => this.lost(client));
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    this.client = client;
    this.connected = true;
    this.changed();
  }

  private changed(): void {
    this.version++;
    for (const listener of [...this.listeners]) listener();
  }

  private lost(client: pg.Client, attempt = 0): void {
    if (this.client !== client && attempt === 0) return; // an old session's late event
    this.client = undefined;
    this.connected = false;
    this.leader = false;
    client.end().catch(() => undefined);
    if (this.closed) return;
    const delay = Math.min(RECONNECT_MAX_MS, 100 * 2 ** Math.min(attempt, 6));
    this.timer = setTimeout(() => {
      this.connect().catch(() => this.lost(client, attempt + 1));
    }, delay);
    this.timer.unref();
  }
}
