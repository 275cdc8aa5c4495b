import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { Code, ConnectError } from "@connectrpc/connect";
import Database from "better-sqlite3";

/*
 * Shared parts of the fault tests: figures, fixtures as child processes, and the checks run
 * against the SQLite file itself (acknowledged writes, integrity, the event log's chains).
 */

/** A fixture script under test/fixtures. */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`../../fixtures/${name}`, import.meta.url));
}

/** Prints one line of figures: `name: k=v k=v …`. */
export function figures(name: string, values: Record<string, unknown>): void {
  const parts = Object.entries(values).map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : String(v)}`);
  console.log(`${name}: ${parts.join(" ")}`);
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export { seeded } from "./seeded.js";

/** The seed of this run: FAULTS_SEED when set (to replay), else random. */
export function runSeed(): number {
  return Number(process.env.FAULTS_SEED) || Math.floor(Math.random() * 2 ** 31);
}

/** A fixture running as a child process, its stdout collected. */
export interface Child {
  child: ChildProcess;
  /** Everything written to stdout so far. */
  out(): string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  /** Resolves once stdout contains `text`; rejects after `timeoutMs` or on exit. */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  /** Sends `signal` (when still running) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

const children = new Set<ChildProcess>();

/** SIGKILLs every fixture process this file spawned that still runs (for afterAll, after a failure). */
export function killChildren(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  children.clear();
}

/** Spawns `node script …args`. */
export function spawnNode(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Child {
  const child = spawn(process.execPath, [script, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  children.add(child);
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (err += d));
  const exited = new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    child,
    out: () => out,
    exited,
    async waitFor(text, timeoutMs = 15_000) {
      const end = Date.now() + timeoutMs;
      while (!out.includes(text)) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${script} exited: ${err}`);
        if (Date.now() > end) throw new Error(`${script}: no "${text}" within ${timeoutMs} ms: ${err}`);
        await sleep(10);
      }
    },
    stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** The last JSON line with `"event":"stats"` a load fixture printed. */
export function statsOf(child: Child): { acked: number; answered: Record<string, number>; transport: Record<string, number> } {
  const line = child
    .out()
    .split("\n")
    .reverse()
    .find((l) => l.includes('"event":"stats"'));
  if (!line) throw new Error(`no stats line in: ${child.out()}`);
  return JSON.parse(line);
}

/** The name of a call's error code ("OK" when it did not fail). */
export function codeName(err: unknown): string {
  return err === undefined ? "OK" : Code[ConnectError.from(err).code];
}

/** The node error code in an error's cause chain (a transport failure), or undefined. */
export function transportCause(err: unknown): string | undefined {
  let e = err as { code?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 8; e = e.cause as typeof e, depth++) {
    if (typeof e.code === "string") return e.code;
  }
  return undefined;
}

/** Adds one to `counts[key]`. */
export function count(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** Number of open file descriptors of a process. */
export function fdCount(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

/** Size of a file in bytes (0 when missing). */
export function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** Opens the store file read-only (no checkpoint on close, so the daemon's view is unchanged). */
export function openReadOnly(file: string): Database.Database {
  return new Database(file, { readonly: true, fileMustExist: true });
}

/** `PRAGMA integrity_check` of a store file: "ok" or the problems. */
export function integrity(file: string): string {
  const db = openReadOnly(file);
  try {
    return (db.pragma("integrity_check") as Array<{ integrity_check: string }>).map((r) => r.integrity_check).join("; ");
  } finally {
    db.close();
  }
}

/** One acknowledged write, as faults-load.mjs records it. */
export interface Ack {
  op: "create" | "status" | "append" | "cancel";
  id: string;
  thread?: string;
  status?: string;
  content?: string;
  text?: string;
  len?: number;
  error?: string;
  reason?: string;
}

/** The acknowledged writes in an ack file, in order. */
export function readAcks(file: string): Ack[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.endsWith("}"))
    .map((line) => JSON.parse(line) as Ack);
}

interface MessageRow {
  status: string;
  content: string | null;
  error: string | null;
}

/**
 * Checks every acknowledged write against the store file: the message exists, its status
 * chain in the log starts with the acknowledged statuses (at most one unacknowledged one
 * after), and its content starts with the acknowledged content, each append's returned
 * length matching. Returns a description of every write not found.
 */
export function lostWrites(db: Database.Database, acks: readonly Ack[]): string[] {
  const byId = new Map<string, Ack[]>();
  for (const ack of acks) {
    let list = byId.get(ack.id);
    if (!list) byId.set(ack.id, (list = []));
    list.push(ack);
  }
  const messageOf = db.prepare("SELECT status, content, error FROM messages WHERE message_id = ?");
  const chainOf = db.prepare(
    "SELECT to_status FROM message_events WHERE message_id = ? AND kind IN ('created', 'status_changed') ORDER BY seq",
  );
  const lost: string[] = [];
  for (const [id, list] of byId) {
    const row = messageOf.get(id) as MessageRow | undefined;
    if (!row) {
      lost.push(`${id}: message missing (${list.length} acked writes)`);
      continue;
    }
    const chain = (chainOf.all(id) as Array<{ to_status: string }>).map((r) => r.to_status);
    const statuses: string[] = [];
    let content = "";
    for (const ack of list) {
      if (ack.op === "create") (statuses.push(ack.status!), (content = ack.content ?? ""));
      if (ack.op === "status") statuses.push(ack.status!);
      if (ack.op === "cancel") statuses.push("cancelled");
      if (ack.op === "append") {
        content += ack.text;
        if (Buffer.byteLength(content) !== ack.len) lost.push(`${id}: append acked length ${ack.len}, expected ${Buffer.byteLength(content)}`);
      }
    }
    if (chain.slice(0, statuses.length).join(">") !== statuses.join(">") || chain.length > statuses.length + 1) {
      lost.push(`${id}: status chain ${chain.join(">")} does not extend acked ${statuses.join(">")}`);
    }
    if (!(row.content ?? "").startsWith(content)) lost.push(`${id}: content lost an acked append`);
    const last = list[list.length - 1]!;
    if (last.op === "status" && last.status === "failed" && row.status === "failed" && row.error !== last.error) {
      lost.push(`${id}: error "${row.error}" instead of "${last.error}"`);
    }
  }
  return lost;
}

/**
 * Checks the event log of every message: its first event is CREATED, each STATUS_CHANGED
 * starts where the previous one ended, and the last one ends at the message's status.
 */
export function historyGaps(db: Database.Database): { messages: number; transitions: number; gaps: string[] } {
  const rows = db
    .prepare(
      `SELECT m.message_id AS id, m.status AS status, e.kind AS kind, e.from_status AS from_status, e.to_status AS to_status
       FROM messages m LEFT JOIN message_events e ON e.message_id = m.message_id AND e.kind IN ('created', 'status_changed')
       ORDER BY m.message_id, e.seq`,
    )
    .all() as Array<{ id: string; status: string; kind: string | null; from_status: string | null; to_status: string | null }>;
  const gaps: string[] = [];
  let messages = 0;
  let transitions = 0;
  let current: string | undefined;
  let at: string | null = null;
  let status = "";
  const close = () => {
    if (current !== undefined && at !== status) gaps.push(`${current}: log ends at ${at}, message is ${status}`);
  };
  for (const row of rows) {
    if (row.id !== current) {
      close();
      current = row.id;
      status = row.status;
      messages++;
      at = null;
      if (row.kind !== "created") {
        gaps.push(`${row.id}: first logged event is ${row.kind ?? "missing"}`);
        at = row.to_status;
        continue;
      }
      at = row.to_status;
      continue;
    }
    transitions++;
    if (row.kind !== "status_changed" || row.from_status !== at) gaps.push(`${row.id}: ${row.kind} ${row.from_status}→${row.to_status} after ${at}`);
    at = row.to_status;
  }
  close();
  return { messages, transitions, gaps };
}

/** Seqs missing between the lowest and highest seq of the log (rolled-back writes leave none). */
export function seqHoles(db: Database.Database): number {
  const row = db.prepare("SELECT MIN(seq) AS lo, MAX(seq) AS hi, COUNT(*) AS n FROM message_events").get() as {
    lo: number | null;
    hi: number | null;
    n: number;
  };
  return row.lo === null || row.hi === null ? 0 : row.hi - row.lo + 1 - row.n;
}
