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
 * What limits target 7, in-process and without gRPC: one AppendContent write through the
 * store (store/messages.ts appendContent: one UPDATE … RETURNING on its own through
 * the store-internal writeStatement, with the busy retry and health record) against the same statement
 * on a raw better-sqlite3 connection with the same pragmas, and against the same write as a
 * knex transaction (how it ran before writeStatement). Sequential, so the figures are CPU
 * per write. Each variant appends to 100 messages of its own (each ends at about 10–20 KB).
 * A last variant appends to messages already holding 100 KB: an append rewrites the row,
 * so its cost grows with the content.
 */

const TEXT = "a line of streamed answer text, about 64 bytes long......\n";

/** Runs the store-write analysis (informational figures for target 7). */
export async function storeWrite(options: BenchOptions): Promise<Figure[]> {
  const writes = size(options, 1000, 5000);
  const dir = tempDir();
  const file = path.join(dir, "comms.db");
  try {
    await seedStore(file, { messages: 4 * MESSAGES, monitored: 4 * MESSAGES });
    const big = new Database(file);
    big.prepare("UPDATE messages SET content = ? WHERE message_id >= ?").run("x".repeat(BIG_CONTENT), messageId(3 * MESSAGES));
    big.close();
    const storeUs = await throughStore(file, writes, "statement", 0);
    const knexUs = await throughStore(file, writes, "knex transaction", MESSAGES);
    const rawUs = throughRaw(file, writes, 2 * MESSAGES);
    const bigUs = await throughStore(file, writes, "statement", 3 * MESSAGES);
    options.log(
      `append: store ${storeUs.p50} µs, as a knex transaction ${knexUs.p50} µs, raw better-sqlite3 ${rawUs.p50} µs; ` +
        `store onto 100 KB contents ${bigUs.p50} µs (median of 5 batches)`,
    );
    return [
      info("store_append_us", storeUs.p50, "µs/write", { explains: 7, batches: storeUs, writesPerBatch: writes }),
      info("store_append_knex_transaction_us", knexUs.p50, "µs/write", { explains: 7, batches: knexUs }),
      info("store_append_raw_us", rawUs.p50, "µs/write", { explains: 7, batches: rawUs, storeOverRaw: round(storeUs.p50 / rawUs.p50, 1) }),
      info("store_append_onto_100kb_us", bigUs.p50, "µs/write", { explains: 7, batches: bigUs, contentBytesBefore: BIG_CONTENT }),
    ];
  } finally {
    removeDir(dir);
  }
}

const MESSAGES = 100;
const BIG_CONTENT = 100_000;

const APPEND_SQL = `UPDATE messages SET content = COALESCE(content, '') || ?, updated_at = ?
  WHERE message_id = ? AND status IN ('pending', 'processing') RETURNING COALESCE(length(CAST(content AS BLOB)), 0) AS n`;

async function throughStore(file: string, writes: number, how: "statement" | "knex transaction", first: number) {
  const store = await openStore({ path: file });
  const append =
    how === "statement"
      ? (id: string) => appendContent(store, id, TEXT)
      : (id: string) => store.write((trx) => trx.raw(APPEND_SQL, [TEXT, Date.now() / 1000, id]));
  try {
    const batches: number[] = [];
    for (let b = 0; b < 6; b++) {
      const t0 = performance.now();
      for (let i = 0; i < writes; i++) await append(messageId(first + (i % MESSAGES)));
      if (b > 0) batches.push(((performance.now() - t0) * 1000) / writes); // the first batch warms up
    }
    return summarize(batches, 1);
  } finally {
    await store.close();
  }
}

function throughRaw(file: string, writes: number, first: number) {
  const db = new Database(file);
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("busy_timeout = 20");
    db.pragma("foreign_keys = ON");
    const append = db.prepare(APPEND_SQL);
    const batches: number[] = [];
    for (let b = 0; b < 6; b++) {
      const t0 = performance.now();
      for (let i = 0; i < writes; i++) append.get(TEXT, Date.now() / 1000, messageId(first + (i % MESSAGES)));
      if (b > 0) batches.push(((performance.now() - t0) * 1000) / writes);
    }
    return summarize(batches, 1);
  } finally {
    db.close();
  }
}
