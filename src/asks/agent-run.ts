import { AgentOutputRefused, runAgent, type AgentOutcome, type AgentStep } from "../agent/index.js";
import { processStartTime } from "../agent/process-start.js";
import { setAgentPid } from "../store/agent-runs.js";
import { getAgentSession } from "../store/agent-sessions.js";
import { appendEvent } from "../store/events.js";
import { ContentTooLargeError } from "../store/errors.js";
import { appendContent, formatBytes, setStatus, truncateContent } from "../store/messages.js";
import type { Store } from "../store/open-store.js";
import type { EventKindName } from "../store/records.js";
import type { Ask } from "./ask.js";

/** What one run needs: the store, and the agent command of modules without their own. */
export interface AgentRunContext {
  store: Store;
  agentCommand: readonly string[];
  maxContentBytes: number;
}

const STEP_KINDS: Record<AgentStep["kind"], EventKindName> = {
  tool_use: "agent_tool_use",
  tool_error: "agent_tool_error",
  retry: "agent_retry",
  result: "agent_result",
};

/**
 * Runs the agent of one ask into its response: resumes the thread's session with the module
 * (unless the ask wants a new one), marks the response PROCESSING with the agent's pid and
 * start time, streams the text into the content and each step into the log, in order.
 */
export async function runAskAgent(
  ctx: AgentRunContext,
  ask: Ask,
  ids: { threadId: string; responseId: string },
  timeoutMs: number,
  signal: AbortSignal,
): Promise<AgentOutcome> {
  const { store } = ctx;
  const messageId = ids.responseId;
  const resumeSessionId = ask.newSession ? undefined : await getAgentSession(store.reader, ids.threadId, ask.module.name);
  return runAgent({
    command: ask.module.agentCommand.length ? ask.module.agentCommand : ctx.agentCommand,
    question: ask.question,
    systemPrompt: ask.module.systemPrompt || undefined,
    settings: ask.module.agentSettings,
    resumeSessionId,
    cwd: ask.module.directory,
    signal,
    timeoutMs,
    onStart: (pid) =>
      store.write(async (trx) => {
        await setAgentPid(trx, messageId, pid, processStartTime(pid));
        await setStatus(trx, messageId, "processing", "", ["pending"]);
      }),
    onText: (text) => appendAnswer(ctx, messageId, text),
    onTruncate: (kept) => truncateContent(store, messageId, [...kept].length),
    onStep: (step) => store.write((trx) => appendEvent(trx, messageId, STEP_KINDS[step.kind], step.detail)),
  });
}

/** Appends answer text; past the cap the run fails with "answer exceeds …" (and its group ends). */
async function appendAnswer(ctx: AgentRunContext, messageId: string, text: string): Promise<void> {
  try {
    await appendContent(ctx.store, messageId, text, ctx.maxContentBytes);
  } catch (err) {
    if (!(err instanceof ContentTooLargeError)) throw err;
    throw new AgentOutputRefused(
      `answer exceeds ${formatBytes(err.limitBytes)} (the daemon's --max-content-bytes); the agent was stopped: ask for a shorter answer, or raise the limit`,
    );
  }
}
