import Database from "better-sqlite3";
import { messageId } from "./seed.js";
import { summarize } from "./stats.js";

const CHUNK = 400; // as store/progress.ts

/**
 * The floor under target 2: the SQL a 1,000-append tick runs (see store/progress.ts and
 * events.ts appendEvents: claim the markers, read the lengths and insert the events 400
 * messages at a time), on a raw better-sqlite3 connection with the store's pragmas. Once as
 * the daemon runs it (the committing connection leaves checkpoints to another thread:
 * store/sqlite-checkpointer.ts) and once with SQLite's default (the committing connection
 * checkpoints past 1,000 WAL pages). Each repetition first has another connection append to
 * `changed` messages spread over the first `monitored` (every monitored/changed-th from an
 * offset).
 */
export function sqliteFloor(file: string, options: { reps: number; firstOffset: number; monitored: number; changed: number }) {
  const { reps, monitored, changed } = options;
  const writer = new Database(file);
  const db = new Database(file);
  try {
    writer.pragma("busy_timeout = 5000");
    db.pragma("synchronous = NORMAL");
    const append = writer.prepare("UPDATE messages SET content = content || 'more text' WHERE message_id = ?");
    const claim = db.prepare("DELETE FROM content_changes RETURNING message_id");
    const q = Array(CHUNK).fill("?").join(",");
    const lengths = db.prepare(`SELECT message_id, COALESCE(octet_length(content), 0) AS n FROM messages WHERE message_id IN (${q})`);
    const insert = db.prepare(
      `INSERT INTO message_events (message_id, thread_id, kind, from_status, to_status, content_length, time, detail)
       SELECT message_id, thread_id, 'progress', NULL, status, COALESCE(octet_length(content), 0), ?, NULL
       FROM messages WHERE message_id IN (${q})`,
    );
    let offset = options.firstOffset;
    const run = (autocheckpoint: number) => {
      db.pragma(`wal_autocheckpoint = ${autocheckpoint}`);
      writer.pragma(`wal_autocheckpoint = ${autocheckpoint}`);
      const samples: number[] = [];
      for (let r = 0; r < reps; r++) {
        const o = offset++;
        writer.transaction(() => {
          for (let k = 0; k < changed; k++) append.run(messageId(o + k * (monitored / changed)));
        })();
        const t0 = performance.now();
        db.exec("BEGIN IMMEDIATE");
        const ids = (claim.all() as Array<{ message_id: string }>).map((m) => m.message_id);
        for (let i = 0; i < ids.length; i += CHUNK) {
          const chunk = ids.slice(i, i + CHUNK);
          const padded = [...chunk, ...Array(CHUNK - chunk.length).fill("")];
          lengths.all(...padded); // every length grew: all of them get an event
          insert.run(Date.now() / 1000, ...padded);
        }
        db.exec("COMMIT");
        samples.push(performance.now() - t0);
      }
      db.pragma("wal_checkpoint(PASSIVE)");
      return summarize(samples, 2);
    };
    // The daemon's writer keeps a 4,000-page auto-checkpoint as a backstop only.
    return { daemon: run(4000), sqliteDefault: run(1000) };
  } finally {
    writer.close();
    db.close();
  }
}
