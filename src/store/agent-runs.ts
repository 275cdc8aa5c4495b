import type { Knex } from "knex";
import { nowSeconds } from "./rows.js";
import { ACTIVE_STATUSES } from "./status.js";

/** Records that this daemon's agent is producing `messageId`. */
export async function recordAgentRun(trx: Knex.Transaction, messageId: string, module: string): Promise<void> {
  await trx("agent_runs").insert({ message_id: messageId, module, daemon_pid: process.pid, started_at: nowSeconds() });
}

/** Notes the agent's pid once it runs. */
export async function setAgentPid(trx: Knex.Transaction, messageId: string, pid: number): Promise<void> {
  await trx("agent_runs").where("message_id", messageId).update({ agent_pid: pid });
}

/** Forgets a finished run. */
export async function finishAgentRun(trx: Knex.Transaction, messageId: string): Promise<void> {
  await trx("agent_runs").where("message_id", messageId).delete();
}

/**
 * At start: every run recorded by an earlier daemon (one daemon per store, so all of them)
 * lost its agent. Their responses still PENDING or PROCESSING become FAILED, so nothing
 * stays unfinished forever. Returns how many were failed.
 */
export async function failOrphanedRuns(trx: Knex.Transaction): Promise<number> {
  const ids = ((await trx("agent_runs").select("message_id")) as Array<{ message_id: string }>).map((r) => r.message_id);
  let failed = 0;
  for (const id of ids) {
    const now = nowSeconds();
    failed += await trx("messages")
      .where("message_id", id)
      .whereIn("status", ACTIVE_STATUSES)
      .update({
        status: "failed",
        error: "daemon restarted before the agent finished; ask again",
        updated_at: now,
        completed_at: now,
      });
  }
  await trx("agent_runs").delete();
  return failed;
}
