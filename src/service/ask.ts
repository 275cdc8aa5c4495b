import { randomUUID } from "node:crypto";
import type { Knex } from "knex";
import { CLOSE_REASON, runAgent, type AgentOutcome } from "../agent/index.js";
import { finishAgentRun, recordAgentRun, setAgentPid } from "../store/agent-runs.js";
import { FailedPreconditionError } from "../store/errors.js";
import { appendContent, insertMessage, setStatus } from "../store/messages.js";
import { mergeMetadata } from "../store/metadata.js";
import { upsertMonitor } from "../store/monitors.js";
import type { ModuleRecord } from "../store/modules.js";
import { ACTIVE_STATUSES, type StatusName } from "../store/status.js";
import type { ServiceContext } from "./context.js";

/** A validated question. */
export interface Ask {
  from: string;
  module: ModuleRecord;
  question: string;
  threadId: string;
  timeoutMs: number;
  metadata: string | null;
}

/** The ids an ask created. */
export interface AskIds {
  threadId: string;
  questionId: string;
  responseId: string;
}

const STOPPING = CLOSE_REASON;

/**
 * Records the question (COMPLETE) and the response (PENDING, monitored with the deadline)
 * in one transaction, then queues the agent run. Returns at once with the ids.
 */
export async function startAsk(ctx: ServiceContext, ask: Ask): Promise<AskIds> {
  const ids = { threadId: ask.threadId || randomUUID(), questionId: randomUUID(), responseId: randomUUID() };
  await ctx.store.write(async (trx) => {
    const common = { threadId: ids.threadId, metadata: ask.metadata };
    await insertMessage(trx, { ...common, messageId: ids.questionId, module: ask.from, type: "question", content: ask.question, status: "complete" });
    await insertMessage(trx, { ...common, messageId: ids.responseId, module: ask.module.name, type: "response", content: "", status: "pending" });
    await upsertMonitor(trx, { messageId: ids.responseId, timeoutMs: ask.timeoutMs, labels: { from: ask.from, to: ask.module.name } });
    await recordAgentRun(trx, ids.responseId, ask.module.name, ctx.daemonId);
  });
  const deadline = performance.now() + ask.timeoutMs;
  ctx.agents.submit({ id: ids.responseId, run: (signal) => runAsk(ctx, ask, ids.responseId, deadline, signal) });
  return ids;
}

async function runAsk(ctx: ServiceContext, ask: Ask, messageId: string, deadline: number, signal: AbortSignal): Promise<void> {
  const write = <T>(fn: (trx: Knex.Transaction) => Promise<T>) => ctx.store.write(fn);
  const outcome = await runAgent({
    command: ask.module.agentCommand.length ? ask.module.agentCommand : ctx.agentCommand,
    question: ask.question,
    systemPrompt: ask.module.systemPrompt || undefined,
    cwd: ask.module.directory,
    signal,
    timeoutMs: Math.max(1, deadline - performance.now()),
    onStart: (pid) =>
      write(async (trx) => {
        await setAgentPid(trx, messageId, pid);
        await setStatus(trx, messageId, "processing", "", ["pending"]);
      }),
    onText: (text) => appendContent(ctx.store, messageId, text).then(() => undefined),
  });
  await write((trx) => finish(trx, messageId, outcome, signal));
}

/** Writes the outcome, unless the message already ended (cancelled, timed out by the poller). */
async function finish(trx: Knex.Transaction, messageId: string, outcome: AgentOutcome, signal: AbortSignal): Promise<void> {
  await finishAgentRun(trx, messageId);
  await mergeMetadata(trx, messageId, { agent: outcome.metadata });
  let status: StatusName = outcome.status;
  let error = outcome.error;
  if (status === "cancelled" && signal.reason === STOPPING) {
    status = "failed";
    error = "the daemon stopped before the agent finished; ask again";
  }
  try {
    await setStatus(trx, messageId, status, error, ACTIVE_STATUSES);
  } catch (err) {
    if (!(err instanceof FailedPreconditionError)) throw err;
  }
}

/** Marks an ask that never started (dropped from the queue) as failed or leaves a cancel be. */
export async function dropQueuedAsk(ctx: ServiceContext, messageId: string, reason: string): Promise<void> {
  await ctx.store.write(async (trx) => {
    await finishAgentRun(trx, messageId);
    const error = reason === STOPPING ? "the daemon stopped before the agent started; ask again" : reason;
    try {
      await setStatus(trx, messageId, reason === STOPPING ? "failed" : "cancelled", error, ACTIVE_STATUSES);
    } catch (err) {
      if (!(err instanceof FailedPreconditionError)) throw err;
    }
  });
}
