import path from "node:path";
import Database from "better-sqlite3";
import { appendContent } from "../src/store/messages.js";
import { openStore } from "../src/store/open-store.js";
import { removeDir, tempDir } from "./lib/cleanup.js";
import { info, type Figure } from "./lib/figure.js";
import { size, type BenchOptions } from "./lib/options.js";
import { messageId, seedStore } from "./lib/seed.js";
import { round, summarize } from "./lib/stats.js";

/*
 * What limits target 7, in-process and without gRPC: one AppendContent write transaction
 * through the store (knex, BEGIN IMMEDIATE, status check, update, length read, commit)
 * against the same statements on a raw better-sqlite3 connection with the same pragmas.
 * Sequential, so the figures are CPU per write.
 */

const TEXT = "a line of streamed answer text, about 64 bytes long......\n";

/** Runs the store-write analysis (informational figures for target 7). */
export async function storeWrite(options: BenchOptions): Promise<Figure[]> {
  const writes = size(options, 1000, 5000);
  const dir = tempDir();
  const file = path.join(dir, "comms.db");
  try {
    await seedStore(file, { messages: 100, monitored: 100 });
    const knexUs = await throughStore(file, writes);
    const rawUs = throughRaw(file, writes);
    options.log(`append transaction: store (knex) ${knexUs.p50} µs, raw better-sqlite3 ${rawUs.p50} µs (median of 5 batches)`);
    return [
      info("store_append_knex_us", knexUs.p50, "µs/write", { explains: 7, batches: knexUs, writesPerBatch: writes }),
      info("store_append_raw_us", rawUs.p50, "µs/write", { explains: 7, batches: rawUs, knexOverRaw: round(knexUs.p50 / rawUs.p50, 1) }),
    ];
  } finally {
    removeDir(dir);
  }
}

async function throughStore(file: string, writes: number) {
  const store = await openStore({ path: file });
  try {
    const batches: number[] = [];
    for (let b = 0; b < 6; b++) {
      const t0 = performance.now();
      for (let i = 0; i < writes; i++) await store.write((trx) => appendContent(trx, messageId(i % 100), TEXT));
      if (b > 0) batches.push(((performance.now() - t0) * 1000) / writes); // the first batch warms up
    }
    return summarize(batches, 1);
  } finally {
    await store.close();
  }
}

function throughRaw(file: string, writes: number) {
  const db = new Database(file);
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("busy_timeout = 20");
    db.pragma("foreign_keys = ON");
    const begin = db.prepare("BEGIN IMMEDIATE");
    const commit = db.prepare("COMMIT");
    const status = db.prepare("SELECT status FROM messages WHERE message_id = ?");
    const update = db.prepare("UPDATE messages SET content = COALESCE(content, '') || ?, updated_at = ? WHERE message_id = ?");
    const length = db.prepare("SELECT COALESCE(length(CAST(content AS BLOB)), 0) AS n FROM messages WHERE message_id = ?");
    const batches: number[] = [];
    for (let b = 0; b < 6; b++) {
      const t0 = performance.now();
      for (let i = 0; i < writes; i++) {
        const id = messageId(i % 100);
        begin.run();
        status.get(id);
        update.run(TEXT, Date.now() / 1000, id);
        length.get(id);
        commit.run();
      }
      if (b > 0) batches.push(((performance.now() - t0) * 1000) / writes);
    }
    return summarize(batches, 1);
  } finally {
    db.close();
  }
}
