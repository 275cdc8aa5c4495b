import type { Knex } from "knex";
import type { Reader } from "./reader.js";
import { nowSeconds } from "./rows.js";

/** The agent session a thread holds with a module, if any. */
export async function getAgentSession(reader: Reader, threadId: string, module: string): Promise<string | undefined> {
  const row = await reader.get<{ session_id: string }>(
    "SELECT session_id FROM agent_sessions WHERE thread_id = ? AND module = ?",
    [threadId, module],
  );
  return row?.session_id;
}

/** Records (or replaces) the session a thread holds with a module. */
export async function setAgentSession(trx: Knex.Transaction, threadId: string, module: string, sessionId: string): Promise<void> {
  await trx("agent_sessions")
    .insert({ thread_id: threadId, module, session_id: sessionId, updated_at: nowSeconds() })
    .onConflict(["thread_id", "module"])
    .merge(["session_id", "updated_at"]);
}
