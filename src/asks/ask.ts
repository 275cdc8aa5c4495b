import type { ModuleRecord } from "../store/modules.js";

/** A validated question to a module. */
export interface Ask {
  from: string;
  module: ModuleRecord;
  question: string;
  /** The thread to ask in; empty starts a new one. */
  threadId: string;
  timeoutMs: number;
  metadata: string | null;
  /** Start a new agent session instead of resuming the thread's session with the module. */
  newSession: boolean;
}

/** The ids an ask created. */
export interface AskIds {
  threadId: string;
  questionId: string;
  responseId: string;
}
