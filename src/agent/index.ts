/**
 * Running a module's agent CLI (Claude Code by default) and parsing its stream-json output.
 * Self-contained: no store, no gRPC; the service layer wires outcomes into messages.
 */
export { AgentOutputRefused, agentEnv, DEFAULT_AGENT_COMMAND, runAgent, type RunAgentOptions } from "./run-agent.js";
export { agentArgs, type AgentArgsInput, type AgentSettings } from "./agent-settings.js";
export type { AgentStep } from "./agent-steps.js";
export type { AgentMetadata, AgentOutcome, AgentStatus } from "./outcome.js";
export { StreamJsonParser, type AgentResult, type StreamEvent, type StreamJsonParserOptions } from "./stream-json.js";
export { AgentSupervisor, CLOSE_REASON, SupervisorRejectedError, type AgentJob, type AgentSupervisorOptions } from "./supervisor.js";
