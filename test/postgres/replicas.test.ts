import fs from "node:fs";
import path from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventKind, MessageStatus, type Event } from "../../gen/claude_comms/v1/message_pb.js";
import { FAKE_AGENT, readPid } from "../fixtures/agent-kit.js";
import { connectClients, type TestClients } from "../helpers/clients.js";
import { until } from "../helpers/collect.js";
import { startDaemonProcess, type DaemonProcess } from "../helpers/daemon-process.js";
import { moduleClient } from "../helpers/module-clients.js";
import { makeTempHome } from "../helpers/temp-home.js";
import { createTestDatabase } from "../helpers/test-store.js";

/*
 * Three daemons on one PostgreSQL database: wake-ups across replicas, singleton duties run
 * once and taken over when the leader dies, leases of dead daemons, and the watch
 * guarantees while writers use every replica and one replica is killed.
 */

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;

describe("three daemons on one PostgreSQL", () => {
  const homes = [makeTempHome("cca-"), makeTempHome("ccb-"), makeTempHome("ccc-")];
  let url: string;
  let db: pg.Client;
  const daemons: DaemonProcess[] = [];
  const clients: TestClients[] = [];
  const alive = () => daemons.map((d, i) => [d, i] as const).filter(([d]) => d.child.exitCode === null && d.child.signalCode === null);

  const start = async (i: number) => {
    const env = { FAKE_AGENT_PID_FILE: path.join(homes[i]!.home, "agent.pid") };
    const args = ["--store", url, "--interval", "1", "--lease", "2s", "--agent-command", `${process.execPath} ${FAKE_AGENT}`];
    daemons[i] = await startDaemonProcess(homes[i]!.home, args, env);
    clients[i] = connectClients(daemons[i]!.socket);
  };

  beforeAll(async () => {
    url = await createTestDatabase();
    db = new pg.Client({ connectionString: url });
    await db.connect();
    for (let i = 0; i < 3; i++) await start(i);
  });

  afterAll(async () => {
    await Promise.all(alive().map(([d]) => d.stop()));
    await db?.end();
    for (const h of homes) h.cleanup();
  });

  it("delivers a write through one daemon to a watcher on another within milliseconds (interval 1 s)", async () => {
    const [a, , c] = clients;
    const latencies: number[] = [];
    for (let i = 0; i < 40; i++) {
      const id = `lat-${i}`;
      await a!.messages.createMessage({ threadId: "t-lat", messageId: id, status: MessageStatus.PROCESSING });
      const stream = c!.polling.watchMessage({ messageId: id })[Symbol.asyncIterator]();
      await stream.next(); // the snapshot: C's subscription is in place
      const sent = performance.now();
      await a!.messages.setStatus({ messageId: id, status: MessageStatus.COMPLETE });
      const next = await stream.next();
      latencies.push(performance.now() - sent);
      expect(next.value?.event?.toStatus).toBe(MessageStatus.COMPLETE);
      await stream.return?.();
    }
    latencies.sort((x, y) => x - y);
    console.log(`replicas: cross-replica latency write on A → event on C, n=40 p50=${percentile(latencies, 50).toFixed(1)}ms p99=${percentile(latencies, 99).toFixed(1)}ms`);
    expect(latencies.length).toBe(40);
  });

  it("enforces a deadline exactly once across the replicas", async () => {
    const [, b, c] = clients;
    await b!.messages.createMessage({ threadId: "t-dl", messageId: "dl-once", status: MessageStatus.PROCESSING });
    await c!.polling.addMessage({ messageId: "dl-once", timeout: { seconds: 0n, nanos: 300_000_000 } });
    await until(async () => (await b!.polling.showMessage({ messageId: "dl-once" })).message?.status === MessageStatus.TIMED_OUT, 10_000);
    await new Promise((r) => setTimeout(r, 1500)); // every replica has had ticks to (wrongly) act again
    const { history } = await b!.polling.showMessage({ messageId: "dl-once" });
    expect(history.filter((e) => e.toStatus === MessageStatus.TIMED_OUT)).toHaveLength(1);
  });

  it("keeps the watch guarantees with writers on every daemon and a replica killed mid-run", async () => {
    const received: Event[][] = [[], [], []];
    const stopAll = new AbortController();
    const watch = async (w: number) => {
      let target = w;
      let afterSeq: bigint | undefined;
      let reconnects = 0;
      while (!stopAll.signal.aborted) {
        try {
          for await (const { event } of clients[target]!.polling.watchMessages({ threadId: "t-val", afterSeq }, { signal: stopAll.signal })) {
            if (!event) continue;
            afterSeq = event.seq;
            if (event.kind !== EventKind.HEARTBEAT) received[w]!.push(event);
          }
        } catch (err) {
          if (stopAll.signal.aborted) return reconnects;
          reconnects++;
          target = alive().find(([, i]) => i !== target)?.[1] ?? target; // fail over, resume after the last seq
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      return reconnects;
    };
    const watchers = [0, 1, 2].map(watch);
    await new Promise((r) => setTimeout(r, 300));
    let acked = 0;
    const write = async (d: number) => {
      for (let i = 0; i < 30; i++) {
        const id = `val-${d}-${i}`;
        for (const step of ["create", "processing", "complete"] as const) {
          for (let attempt = 0; ; attempt++) {
            const target = daemons[d]!.child.exitCode === null && daemons[d]!.child.signalCode === null ? d : alive()[0]![1];
            const c = clients[target]!;
            try {
              if (step === "create") await c.messages.createMessage({ threadId: "t-val", messageId: id });
              else await c.messages.setStatus({ messageId: id, status: step === "processing" ? MessageStatus.PROCESSING : MessageStatus.COMPLETE });
              acked++;
              break;
            } catch (err) {
              const code = ConnectError.from(err).code;
              if (code === Code.AlreadyExists) break; // the create landed before the kill
              if (attempt > 20) throw err;
              await new Promise((r) => setTimeout(r, 50));
            }
          }
        }
        if (d === 0 && i === 10) await daemons[1]!.kill(); // a replica dies mid-run
      }
    };
    await Promise.all([0, 1, 2].map(write));
    const log = (await db.query("SELECT seq, message_id, kind, to_status FROM message_events WHERE thread_id = 't-val' ORDER BY seq")).rows;
    await until(() => received.every((r) => r.length >= log.length), 15_000).catch(() => undefined);
    stopAll.abort();
    const reconnects = await Promise.all(watchers);
    const expected = log.map((row) => Number(row.seq));
    let duplicates = 0;
    let missing = 0;
    for (const events of received) {
      const seqs = events.map((e) => Number(e.seq));
      duplicates += seqs.length - new Set(seqs).size;
      missing += expected.filter((s) => !seqs.includes(s)).length;
      expect(seqs).toEqual(expected);
    }
    console.log(
      `replicas: watch validator writers=3 acked=${acked} events=${expected.length} watchers=3 reconnects=${reconnects.join("/")} duplicates=${duplicates} missing=${missing} replica killed=1`,
    );
  });

  it("hands the singleton duties to another daemon when the leader dies", async () => {
    const leaderPid = async () =>
      (
        await db.query(
          `SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
           WHERE l.locktype = 'advisory' AND l.objid = 4242002 AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        )
      ).rows[0]?.application_name as string | undefined;
    await until(async () => (await leaderPid()) !== undefined, 10_000);
    const leader = Number((await leaderPid())!.split("/")[1]);
    const index = daemons.findIndex((d) => d.pid === leader);
    expect(index).toBeGreaterThanOrEqual(0);
    await daemons[index]!.kill();
    const [, other] = alive()[0]!;
    const c = clients[other]!;
    await c.messages.createMessage({ threadId: "t-takeover", messageId: "takeover", status: MessageStatus.PROCESSING });
    await c.polling.addMessage({ messageId: "takeover", timeout: { seconds: 0n, nanos: 500_000_000 } });
    await until(async () => (await c.polling.showMessage({ messageId: "takeover" })).message?.status === MessageStatus.TIMED_OUT, 15_000);
    const newLeader = Number((await leaderPid())!.split("/")[1]);
    expect(newLeader).not.toBe(leader);
    await start(index); // back to three for the next case
  });

  it("fails the ask of a dead daemon once its lease has expired", async () => {
    const [[asker, i]] = alive();
    const modules = moduleClient(clients[i]!);
    await modules.registerModule({ module: { name: "m", directory: homes[i]!.home } });
    fs.rmSync(path.join(homes[i]!.home, "agent.pid"), { force: true });
    const ids = await modules.askModule({ fromModule: "a", toModule: "m", question: "[hang]" });
    const pid = await readPid(path.join(homes[i]!.home, "agent.pid"));
    await asker.kill();
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // gone already
    }
    const [, j] = alive()[0]!;
    await until(async () => (await clients[j]!.polling.showMessage({ messageId: ids.responseMessageId })).message?.status === MessageStatus.FAILED, 15_000);
    const { message } = await clients[j]!.polling.showMessage({ messageId: ids.responseMessageId });
    expect(message?.error).toMatch(/stopped before the agent finished/);
  });
});
