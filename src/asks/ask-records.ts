import type { Knex } from "knex";
import type { AgentOutcome } from "../agent/index.js";
import { finishAgentRun, recordAgentRun } from "../store/agent-runs.js";
import { setAgentSession } from "../store/agent-sessions.js";
import { FailedPreconditionError } from "../store/errors.js";
import { insertMessage, setStatus } from "../store/messages.js";
import { mergeMetadata } from "../store/metadata.js";
import { upsertMonitor } from "../store/monitors.js";
import { ACTIVE_STATUSES, type StatusName } from "../store/status.js";
import type { Ask, AskIds } from "./ask.js";

/** The writes an ask's lifecycle makes, each one transaction's worth. No agent, no timers. */

/** The question (COMPLETE), the response (PENDING, monitored with the deadline) and the run. */
export async function recordAsk(trx: Knex.Transaction, ask: Ask, ids: AskIds, daemonId: string): Promise<void> {
  const common = { threadId: ids.threadId, metadata: ask.metadata };
  await insertMessage(trx, { ...common, messageId: ids.questionId, module: ask.from, type: "question", content: ask.question, status: "complete" });
  await insertMessage(trx, { ...common, messageId: ids.responseId, module: ask.module.name, type: "response", content: "", status: "pending" });
  await upsertMonitor(trx, { messageId: ids.responseId, timeoutMs: ask.timeoutMs, labels: { from: ask.from, to: ask.module.name } });
  await recordAgentRun(trx, ids.responseId, ask.module.name, daemonId);
}

/**
 * Writes a run's outcome, unless the message already ended (cancelled, timed out by the
 * poller, set by another writer). `stopping`: the daemon ended the run, not the user.
 */
export async function recordOutcome(
  trx: Knex.Transaction,
  run: { threadId: string; responseId: string; module: string },
  outcome: AgentOutcome,
  stopping: boolean,
): Promise<void> {
  const messageId = run.responseId;
  await finishAgentRun(trx, messageId);
  // A finished exchange is the thread's context with the module from now on.
  const sessionId = outcome.metadata.session_id;
  if (outcome.status === "complete" && sessionId) await setAgentSession(trx, run.threadId, run.module, sessionId);
  await mergeMetadata(trx, messageId, { agent: outcome.metadata });
  const daemonStopped = outcome.status === "cancelled" && stopping;
  const status: StatusName = daemonStopped ? "failed" : outcome.status;
  const error = daemonStopped ? "the daemon stopped before the agent finished; ask again" : outcome.error;
  await endIfActive(trx, messageId, status, error);
}

/** Ends an ask that never started (dropped from the queue by a cancel or the daemon's stop). */
export async function recordDropped(trx: Knex.Transaction, messageId: string, reason: string, stopping: boolean): Promise<void> {
  await finishAgentRun(trx, messageId);
  if (stopping) await endIfActive(trx, messageId, "failed", "the daemon stopped before the agent started; ask again");
  else await endIfActive(trx, messageId, "cancelled", reason);
}

async function endIfActive(trx: Knex.Transaction, messageId: string, status: StatusName, error: string): Promise<void> {
  try {
    await setStatus(trx, messageId, status, error, ACTIVE_STATUSES);
  } catch (err) {
    if (!(err instanceof FailedPreconditionError)) throw err;
  }
}
