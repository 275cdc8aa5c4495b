import os from "node:os";
import type { Knex } from "knex";
import { nowSeconds } from "./rows.js";
import { ACTIVE_STATUSES } from "./status.js";

/** Records that daemon `daemonId`'s agent is producing `messageId`. */
export async function recordAgentRun(trx: Knex.Transaction, messageId: string, module: string, daemonId: string): Promise<void> {
  await trx("agent_runs").insert({ message_id: messageId, module, daemon_id: daemonId, started_at: nowSeconds() });
}

/**
 * Notes the agent's pid once it runs, with its start time (`startTime`, the kernel's, which
 * tells this process from a later one that reuses the pid) and this host.
 */
export async function setAgentPid(trx: Knex.Transaction, messageId: string, pid: number, startTime: string | undefined): Promise<void> {
  await trx("agent_runs").where("message_id", messageId).update({ agent_pid: pid, agent_start: startTime ?? null, host: os.hostname() });
}

/** An agent process group a run recorded, for a restarted daemon to end. */
export interface RecordedAgentGroup {
  messageId: string;
  pid: number;
  startTime: string;
}

/**
 * The agent groups recorded on this host by daemons other than `ownDaemonId` whose process
 * is gone (`isAlive(pid)` false), or by any other daemon when `othersAreGone`. Only runs with
 * a recorded start time: without one, a live process of that pid cannot be told apart.
 */
export async function orphanedAgentGroups(
  trx: Knex.Transaction,
  ownDaemonId: string,
  othersAreGone: boolean,
  isAlive: (pid: number) => boolean,
): Promise<RecordedAgentGroup[]> {
  const rows = (await trx("agent_runs as r")
    .leftJoin("daemons as d", "d.daemon_id", "r.daemon_id")
    .where("r.host", os.hostname())
    .andWhere("r.daemon_id", "<>", ownDaemonId)
    .whereNotNull("r.agent_pid")
    .whereNotNull("r.agent_start")
    .select("r.message_id", "r.agent_pid", "r.agent_start", "d.pid as daemon_pid")) as Array<{
    message_id: string; agent_pid: number; agent_start: string; daemon_pid: number | null;
  }>;
  return rows
    .filter((row) => othersAreGone || row.daemon_pid === null || !isAlive(Number(row.daemon_pid)))
    .map((row) => ({ messageId: row.message_id, pid: Number(row.agent_pid), startTime: row.agent_start }));
}

/** Forgets a finished run. */
export async function finishAgentRun(trx: Knex.Transaction, messageId: string): Promise<void> {
  await trx("agent_runs").where("message_id", messageId).delete();
}

/** Records (or extends) this daemon's lease: it runs agents until `now + leaseMs`. */
export async function renewLease(trx: Knex.Transaction, daemonId: string, leaseMs: number): Promise<void> {
  const now = nowSeconds();
  await trx("daemons")
    .insert({ daemon_id: daemonId, pid: process.pid, host: os.hostname(), started_at: now, lease_until: now + leaseMs / 1000 })
    .onConflict("daemon_id")
    .merge(["lease_until"]);
}

/** Gives the lease up (a graceful stop, after its runs were finished). */
export async function dropLease(trx: Knex.Transaction, daemonId: string): Promise<void> {
  await trx("daemons").where("daemon_id", daemonId).delete();
}

/**
 * Ends the leases of daemons on this host whose process is gone (a crash, `kill -9`): their
 * runs need not wait for the lease to run out.
 */
export async function expireDeadLocalDaemons(
  trx: Knex.Transaction,
  ownDaemonId: string,
  isAlive: (pid: number) => boolean,
): Promise<void> {
  const rows = (await trx("daemons")
    .select("daemon_id", "pid")
    .where("host", os.hostname())
    .andWhere("daemon_id", "<>", ownDaemonId)) as Array<{ daemon_id: string; pid: number }>;
  const dead = rows.filter((row) => !isAlive(Number(row.pid))).map((row) => row.daemon_id);
  if (dead.length) await trx("daemons").whereIn("daemon_id", dead).update({ lease_until: 0 });
}

/**
 * Fails the runs whose daemon is gone, so no response stays PENDING or PROCESSING forever:
 * with `othersAreGone` (SQLite: one daemon per store, so at start every run but ours lost
 * its agent) all runs of other daemons; otherwise (PostgreSQL replicas) the runs of daemons
 * whose lease expired. Returns how many responses were failed.
 */
export async function failOrphanedRuns(trx: Knex.Transaction, ownDaemonId: string, othersAreGone: boolean): Promise<number> {
  const now = nowSeconds();
  const orphaned = trx("agent_runs as r")
    .leftJoin("daemons as d", "d.daemon_id", "r.daemon_id")
    .where("r.daemon_id", "<>", ownDaemonId)
    .select("r.message_id");
  if (!othersAreGone) orphaned.andWhere((q) => q.whereNull("d.lease_until").orWhere("d.lease_until", "<", now));
  const ids = ((await orphaned) as Array<{ message_id: string }>).map((r) => r.message_id);
  let failed = 0;
  for (const id of ids) {
    failed += await trx("messages").where("message_id", id).whereIn("status", ACTIVE_STATUSES).update({
      status: "failed",
      error: "the daemon running its agent stopped before the agent finished; ask again",
      updated_at: now,
      completed_at: now,
    });
    await trx("agent_runs").where("message_id", id).delete();
  }
  const expired = trx("daemons").where("daemon_id", "<>", ownDaemonId);
  await (othersAreGone ? expired : expired.andWhere("lease_until", "<", now)).delete();
  return failed;
}
