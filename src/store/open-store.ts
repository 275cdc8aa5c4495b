import { openSqliteStore } from "./sqlite-store.js";
import type { Store, StoreOptions } from "./store.js";

export type { Store, StoreOptions, WriteOptions } from "./store.js";

/**
 * Opens (and migrates) the store named by `options.url` (`sqlite:PATH` or `postgres://…`)
 * or `options.path` (a SQLite file).
 */
export async function openStore(options: StoreOptions): Promise<Store> {
  const url = options.url ?? `sqlite:${options.path ?? ""}`;
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  if (/^postgres(ql)?:\/\//.test(url)) {
    // Loaded only for a PostgreSQL URL: `pg` costs a SQLite daemon ~75 ms of start-up.
    const { openPostgresStore } = await import("./postgres-store.js");
    return openPostgresStore(url, busyTimeoutMs);
  }
  if (!url.startsWith("sqlite:") || url.length === "sqlite:".length) {
    throw new Error(`unknown store "${url}": use sqlite:PATH or postgres://USER@HOST:PORT/DATABASE`);
  }
  return openSqliteStore(url.slice("sqlite:".length), {
    synchronous: options.synchronous ?? "NORMAL",
    busyTimeoutMs,
    onWarning: options.onWarning,
  });
}
