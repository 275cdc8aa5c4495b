import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/** How often the checkpointer looks for new commits while they come, in ms. */
export const CHECK_EVERY_MS = 100;
/** The longest wait between looks while nothing is committed, in ms. */
export const IDLE_CHECK_EVERY_MS = 1600;

/**
 * The wait before the checkpointer's next look: back to `busyMs` after a look that found new
 * commits, otherwise twice the last wait up to `idleMs`. An idle store is looked at about
 * once a second and a half instead of ten times a second (the looks were most of an idle
 * daemon's CPU), and a WAL that stops growing needs no quick copy. Self-contained: the
 * worker runs its source.
 */
export function nextCheckDelay(lastMs: number, committed: boolean, busyMs: number, idleMs: number): number {
  return committed ? busyMs : Math.min(lastMs * 2, idleMs);
}
/** WAL frames past which a complete checkpoint also truncates the file (16 MiB of 4 KiB pages). */
export const WAL_BOUND_PAGES = 4000;
/** How often the same checkpoint failure is reported again, in ms. */
const REPORT_EVERY_MS = 60_000;

/** What the worker posts back: a failure, pages copied, or its new wait between looks. */
type WorkerReport = { error: string } | { checkpointed: number } | { waitMs: number };

/*
 * The worker's code, inline (CommonJS) so the same file works from the build, from vitest
 * on the TypeScript sources and from a library user's bundle. It opens its own connection,
 * and whenever another connection committed since its last complete checkpoint
 * (data_version moved) it runs a PASSIVE checkpoint: that copies committed WAL frames into
 * the database file without taking the write lock or waiting for readers, so writers and
 * readers carry on meanwhile. A complete checkpoint lets the next writer restart the WAL
 * from its beginning, which keeps the file bounded. Between looks it waits nextCheckDelay.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma("busy_timeout = 0");
let settled = -1;
let lastError = "";
let lastErrorAt = 0;
const dataVersion = db.prepare("PRAGMA data_version").pluck();
const nextCheckDelay = ${nextCheckDelay.toString()};
let delay = workerData.everyMs;
let timer;
function look() {
  const version = dataVersion.get();
  if (version === settled) return false;
  const [r] = db.pragma("wal_checkpoint(PASSIVE)");
  if (r.busy === 0 && r.log === r.checkpointed) settled = version;
  // Past the bound with everything copied: truncate the file now (waiting briefly for
  // readers), rather than hope a writer finds the WAL idle while a flood goes on.
  if (r.log > workerData.boundPages && r.log === r.checkpointed) {
    db.pragma("busy_timeout = 50");
    try { db.pragma("wal_checkpoint(TRUNCATE)"); } finally { db.pragma("busy_timeout = 0"); }
  }
  if (r.checkpointed > 0) parentPort.postMessage({ checkpointed: r.checkpointed });
  lastError = "";
  return true;
}
function tick() {
  let committed = true;
  try {
    committed = look();
  } catch (err) {
    // A failure that persists (a full disk) is reported once a minute, not on every try.
    const error = String((err && err.message) || err);
    if (error !== lastError || Date.now() - lastErrorAt >= workerData.reportEveryMs) {
      lastError = error;
      lastErrorAt = Date.now();
      parentPort.postMessage({ error });
    }
  }
  const next = nextCheckDelay(delay, committed, workerData.everyMs, workerData.idleEveryMs);
  if (next !== delay) parentPort.postMessage({ waitMs: next });
  delay = next;
  timer = setTimeout(tick, delay);
}
timer = setTimeout(tick, delay);
parentPort.on("message", () => {
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
`;

/** Options of the checkpointer. */
export interface SqliteCheckpointerOptions {
  /** Called with what a failed checkpoint said (the store carries on; the writer's backstop auto-checkpoint still runs). */
  onError?: (message: string) => void;
}

/**
 * Checkpoints a SQLite store's WAL in a worker thread, so the event loop never pays for it.
 * SQLite's default has the committing connection copy the WAL into the database file once
 * it passes 1,000 pages: about 10 ms (fsync included) landing on whichever write or poller
 * tick happens to commit then. The daemon's writer keeps only a large auto-checkpoint as a
 * backstop (see sqlite-store.ts); this thread does the regular work.
 */
export class SqliteCheckpointer {
  /** Pages copied into the database file so far. */
  pagesCheckpointed = 0;
  /** The worker's wait between looks for commits, in ms (it reports each change). */
  lookWaitMs = CHECK_EVERY_MS;
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  private closed: Promise<void> | undefined;

  constructor(file: string, options: SqliteCheckpointerOptions = {}) {
    const driver = createRequire(import.meta.url).resolve("better-sqlite3");
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { file, driver, everyMs: CHECK_EVERY_MS, idleEveryMs: IDLE_CHECK_EVERY_MS, reportEveryMs: REPORT_EVERY_MS, boundPages: WAL_BOUND_PAGES },
      resourceLimits: { maxOldGenerationSizeMb: 16 },
    });
    this.exited = new Promise((resolve) => this.worker.once("exit", () => resolve()));
    this.worker.on("message", (report: WorkerReport) => {
      if ("error" in report) options.onError?.(`WAL checkpoint failed: ${report.error}`);
      else if ("waitMs" in report) this.lookWaitMs = report.waitMs;
      else this.pagesCheckpointed += report.checkpointed;
    });
    this.worker.on("error", (err) => options.onError?.(`WAL checkpointer stopped: ${err.message}`));
    this.worker.unref(); // never what keeps a process alive
  }

  /** Stops the worker (after its current checkpoint) and closes its connection. Idempotent. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.worker.postMessage("close");
      // A checkpoint stuck on a slow disk does not hold up shutdown for long.
      const stuck = setTimeout(() => void this.worker.terminate(), 2000);
      await this.exited;
      clearTimeout(stuck);
    })();
    return this.closed;
  }
}
