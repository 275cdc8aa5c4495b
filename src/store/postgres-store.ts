import knexFactory, { type Knex } from "knex";
import pg from "pg";
import { ChangeListeners } from "./change-listeners.js";
import { POSTGRES } from "./dialect.js";
import { domainErrorFromDriver } from "./errors.js";
import { StoreHealth } from "./health.js";
import { migrationSource } from "./migrations/index.js";
import { PgListener } from "./pg-listener.js";
import { PgReader } from "./pg-reader.js";
import { rawRows } from "./rows.js";
import { withInternals } from "./internal.js";
import { createWriter, probeWrite, recordedWrite, retryBusy, type Store } from "./store.js";

// BIGINT columns (seq, counts, ids) come back as JS numbers: they stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/**
 * Opens (and migrates) a PostgreSQL store: a pooled writer and reader through knex, and a
 * dedicated session for notifications and leadership. Several daemons may share it.
 */
export async function openPostgresStore(url: string, busyTimeoutMs: number): Promise<Store> {
  const knex = knexFactory({ client: "pg", connection: url, pool: { min: 0, max: 8 } });
  const health = new StoreHealth();
  const changes = new ChangeListeners();
  const write = createWriter(knex, busyTimeoutMs, health, changes.emit);
  const listener = new PgListener(url);
  try {
    // Replicas starting together: knex's migration lock lets one migrate, the others retry.
    await retryBusy(() => knex.migrate.latest({ migrationSource }), Math.max(busyTimeoutMs, 30_000));
    await listener.start();
  } catch (err) {
    await listener.close();
    await knex.destroy();
    throw domainErrorFromDriver(err) ?? err;
  }
  let closed: Promise<void> | undefined;
  const store: Store = {
    reader: new PgReader(knex),
    dialect: POSTGRES,
    description: describe(url),
    write,
    health,
    probe: () => recordedWrite(health, busyTimeoutMs, () => knex.transaction(probeWrite)),
    changeVersion: () => listener.changeVersion(),
    // Our own commits at once; other daemons' through NOTIFY.
    onChange(fn) {
      const local = changes.add(fn);
      const remote = listener.onChange(fn);
      return () => (local(), remote());
    },
    isLeader: () => listener.tryLead(),
    sizeBytes: () => 0,
    close() {
      closed ??= (async () => {
        try {
          await listener.close();
        } finally {
          await knex.destroy();
        }
      })();
      return closed;
    },
  };
  return withInternals(store, {
    knex,
    writeStatement: (sql, bindings) =>
      recordedWrite(health, busyTimeoutMs, async () => rawRows(await knex.raw(sql, bindings as Knex.RawBinding[])), changes.emit),
  });
}

/** The URL without its password. */
function describe(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "postgres";
  }
}
