/** A step the agent took, for the event log: what kind, and one line saying what. */
export interface AgentStep {
  kind: "tool_use" | "tool_error" | "retry" | "result";
  detail: string;
}

/** An API error retrying cannot fix (HTTP 401, 403): the run should end at once. */
export interface FatalApiError {
  status: number;
  error: string;
}

const SUMMARY_CHARS = 200;

/** `Bash: npm test`, `Read: /src/a.ts`, or the tool's name and its input as compact JSON. */
export function toolUseDetail(name: string, input: unknown): string {
  const record = isRecord(input) ? input : {};
  const main = ["command", "file_path", "path", "pattern", "url", "query", "description", "prompt"]
    .map((key) => record[key])
    .find((value): value is string => typeof value === "string" && value !== "");
  return `${name}: ${clip(main ?? JSON.stringify(input ?? {}))}`;
}

/** A failed tool call: its result text, clipped to one line. */
export function toolErrorDetail(content: unknown): string {
  const text = Array.isArray(content)
    ? content.map((part) => (isRecord(part) && typeof part["text"] === "string" ? part["text"] : "")).join(" ")
    : typeof content === "string" ? content : JSON.stringify(content ?? "");
  return clip(text) || "tool call failed";
}

/** `attempt 2/10: HTTP 529 overloaded, next try in 1.2 s`. */
export function retryDetail(record: Record<string, unknown>): string {
  const attempt = num(record["attempt"]);
  const max = num(record["max_retries"]);
  const status = num(record["error_status"]);
  const error = typeof record["error"] === "string" ? record["error"] : "error";
  const delay = num(record["retry_delay_ms"]);
  const parts = [`attempt ${attempt ?? "?"}/${max ?? "?"}:`, status !== undefined ? `HTTP ${status} ${error}` : error];
  if (delay !== undefined) parts.push(`, next try in ${(delay / 1000).toFixed(1)} s`);
  return parts.join(" ").replace(" ,", ",");
}

/** The fatal error an `api_retry` line reports, if retrying it cannot help. */
export function fatalApiError(record: Record<string, unknown>): FatalApiError | undefined {
  const status = num(record["error_status"]);
  if (status !== 401 && status !== 403) return undefined;
  return { status, error: typeof record["error"] === "string" ? record["error"] : "" };
}

/** The message a response fails with on a fatal API error. */
export function fatalApiMessage(fatal: FatalApiError): string {
  const what = fatal.status === 401 ? "its API key or login was refused" : "its account may not use this API or model";
  const reason = fatal.error ? ` (${fatal.error})` : "";
  return `the agent's API answered HTTP ${fatal.status}${reason}: ${what}; check ANTHROPIC_API_KEY or \`claude /login\` for the daemon's user, or the module's env`;
}

/** `2 turns, $0.0123, 4.5 s` from a result line's numbers. */
export function resultDetail(result: { numTurns?: number; totalCostUsd?: number; durationMs?: number; subtype?: string }): string {
  const parts: string[] = [];
  if (result.subtype && result.subtype !== "success") parts.push(result.subtype);
  if (result.numTurns !== undefined) parts.push(`${result.numTurns} turn${result.numTurns === 1 ? "" : "s"}`);
  if (result.totalCostUsd !== undefined) parts.push(`$${result.totalCostUsd.toFixed(4)}`);
  if (result.durationMs !== undefined) parts.push(`${(result.durationMs / 1000).toFixed(1)} s`);
  return parts.join(", ") || "finished";
}

function clip(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > SUMMARY_CHARS ? `${line.slice(0, SUMMARY_CHARS - 1)}…` : line;
}

/** True for a plain object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}
