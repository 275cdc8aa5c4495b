import path from "node:path";
import Database from "better-sqlite3";
import { Hub } from "../src/hub/hub.js";
import { Poller } from "../src/poller/poller.js";
import { openStore, type Store } from "../src/store/open-store.js";
import { removeDir, tempDir } from "./lib/cleanup.js";
import { atMost, info, type Figure } from "./lib/figure.js";
import { size, type BenchOptions } from "./lib/options.js";
import { messageId, seedStore } from "./lib/seed.js";
import { sqliteFloor } from "./lib/sqlite-floor.js";
import { median, round, summarize } from "./lib/stats.js";

/*
 * Targets 1 and 2: the poller in-process over 100,000 monitored messages. An idle tick
 * (nothing changed) against the original tool's approach (one SELECT per monitored message
 * per tick), and a tick after an external writer changed 1,000 of them, against the SQL
 * such a tick runs on a raw connection (lib/sqlite-floor.ts). Message offsets 0–62 are used
 * by the ticks, 70–99 by the floor.
 */

const MONITORED = 100_000;
const CHANGED = 1_000;

/** Runs targets 1 and 2. */
export async function pollerTick(options: BenchOptions): Promise<Figure[]> {
  const dir = tempDir();
  const file = path.join(dir, "comms.db");
  let store: Store | undefined;
  let poller: Poller | undefined;
  try {
    const seedStart = performance.now();
    await seedStore(file, { messages: MONITORED, monitored: MONITORED });
    options.log(`seeded ${MONITORED} monitored messages in ${Math.round(performance.now() - seedStart)} ms`);
    store = await openStore({ path: file });
    poller = new Poller(store, new Hub(), { intervalMs: 1000, retentionMs: 3_600_000 });
    await poller.start(); // loads the monitors, then schedules a tick:
    await poller.close(); // no timer from here on; the benchmark calls tick() itself
    await poller.tick(); // the first tick does the start-up work
    const idle = await idleTicks(poller, size(options, 2000, 20_000));
    const original = originalApproach(file, size(options, 3, 9));
    const changed = await changedTicks(file, poller, options);
    const floor = sqliteFloor(file, { reps: size(options, 5, 9), firstOffset: 70, monitored: MONITORED, changed: CHANGED });
    options.log(`SQL floor of that tick: ${floor.daemon.p50} ms (${floor.sqliteDefault.p50} ms when it also checkpoints, SQLite's default)`);
    return [
      atMost(1, "poller_tick_idle_100k", idle.p50, "ms", 0.1, "tick ≤ 0.1 ms median", {
        baseline: original.p50,
        baselineName: "original tool: one SELECT per monitored message per tick",
        ratio: round(original.p50 / idle.p50, 0),
        ratioMeaning: "baseline / value (times faster)",
        detail: { idle, original },
      }),
      // The worst kind of change is the target figure: each content append costs the poller a
      // PROGRESS event it writes itself; a status change was logged by the writer's trigger.
      atMost(2, "poller_tick_1000_appended_100k", changed.content.p50, "ms", 25, "tick ≤ 25 ms", {
        baseline: floor.daemon.p50,
        baselineName: "the same SQL on raw better-sqlite3 (sqlite_floor_1000_progress_writes)",
        ratio: round(changed.content.p50 / floor.daemon.p50, 2),
        ratioMeaning: "value / baseline",
        detail: { ...changed.content, changes: "1,000 content appends by another connection" },
      }),
      info("poller_tick_1000_mixed", changed.mixed.p50, "ms", { ...changed.mixed, changes: "500 appends + 500 status changes" }),
      info("poller_tick_1000_status_changes", changed.status.p50, "ms", { ...changed.status }),
      info("sqlite_floor_1000_progress_writes", floor.daemon.p50, "ms", {
        explains: 2,
        what: "the tick's SQL alone on raw better-sqlite3: claim the markers, read the lengths, insert the events 400 at a time, commit; checkpoints left to another connection as in the daemon",
        asTheDaemon: floor.daemon,
        committerCheckpoints: floor.sqliteDefault,
      }),
      info("sqlite_floor_with_checkpoint", floor.sqliteDefault.p50, "ms", {
        what: "the same with SQLite's default: the committing connection checkpoints past 1,000 WAL pages (what the daemon did before its checkpointer thread)",
      }),
    ];
  } finally {
    await poller?.close();
    await store?.close();
    removeDir(dir);
  }
}

async function idleTicks(poller: Poller, count: number) {
  for (let i = 0; i < 200; i++) await poller.tick();
  const skippedBefore = poller.stats.skipped;
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await poller.tick();
    samples.push(performance.now() - t0);
  }
  if (poller.stats.skipped - skippedBefore !== count) throw new Error("an idle tick did work: the store changed");
  return summarize(samples, 5);
}

/** The original tool's tick: one query per monitored message, comparing with the last values. */
function originalApproach(file: string, reps: number) {
  const db = new Database(file, { readonly: true });
  try {
    const query = db.prepare("SELECT status, length(content) AS n FROM messages WHERE message_id = ?");
    const ids = Array.from({ length: MONITORED }, (_, i) => messageId(i));
    const last = new Map<string, string>();
    const samples: number[] = [];
    for (let r = 0; r <= reps; r++) {
      const t0 = performance.now();
      let changed = 0;
      for (const id of ids) {
        const row = query.get(id) as { status: string; n: number };
        const key = `${row.status}:${row.n}`;
        if (last.get(id) !== key) (last.set(id, key), changed++);
      }
      if (r > 0) samples.push(performance.now() - t0); // the first pass fills `last`
    }
    return summarize(samples, 2);
  } finally {
    db.close();
  }
}

type Variant = "mixed" | "content" | "status";

async function changedTicks(file: string, poller: Poller, options: BenchOptions) {
  const reps = size(options, 5, 21);
  const writer = new Database(file);
  writer.pragma("busy_timeout = 5000");
  const append = writer.prepare("UPDATE messages SET content = content || 'more text' WHERE message_id = ?");
  const toProcessing = writer.prepare("UPDATE messages SET status = 'processing' WHERE message_id = ?");
  let batch = 0;
  const change = (variant: Variant) => {
    // Every 100th message from a fresh offset: 1,000 messages spread over the table.
    const offset = batch++;
    writer.transaction(() => {
      for (let k = 0; k < CHANGED; k++) {
        const id = messageId(offset + k * (MONITORED / CHANGED));
        const content = variant === "content" || (variant === "mixed" && k % 2 === 0);
        (content ? append : toProcessing).run(id);
      }
    })();
  };
  const out = {} as Record<Variant, ReturnType<typeof summarize> & { eventsPerTick: number }>;
  try {
    for (const variant of ["content", "mixed", "status"] as const) {
      const samples: number[] = [];
      const events: number[] = [];
      for (let r = 0; r < reps; r++) {
        change(variant);
        const before = poller.stats.events;
        const t0 = performance.now();
        await poller.tick();
        samples.push(performance.now() - t0);
        events.push(poller.stats.events - before);
      }
      if (median(events) !== CHANGED) throw new Error(`${variant}: expected ${CHANGED} events per tick, got ${events}`);
      out[variant] = { ...summarize(samples, 2), eventsPerTick: median(events) };
      options.log(`1,000 changed (${variant}): median ${out[variant].p50} ms`);
    }
  } finally {
    writer.close();
  }
  return out;
}
