/** A message status as the store keeps it (the original tool's lowercase strings). */
export type StatusName = "pending" | "processing" | "complete" | "failed" | "timed_out" | "cancelled";

/** Every status, in lifecycle order. */
export const STATUS_NAMES: readonly StatusName[] = [
  "pending",
  "processing",
  "complete",
  "failed",
  "timed_out",
  "cancelled",
];

/** The statuses no transition may leave. */
export const TERMINAL_STATUSES: readonly StatusName[] = ["complete", "failed", "timed_out", "cancelled"];

/** The statuses a message is still working in. */
export const ACTIVE_STATUSES: readonly StatusName[] = ["pending", "processing"];

/** True when `status` is terminal. */
export function isTerminal(status: StatusName): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** True when `value` is one of the stored status strings. */
export function isStatusName(value: unknown): value is StatusName {
  return typeof value === "string" && (STATUS_NAMES as readonly string[]).includes(value);
}

/** SQL list literal of statuses, for triggers and WHERE clauses: ('a','b'). */
export function sqlStatusList(statuses: readonly StatusName[]): string {
  return `(${statuses.map((s) => `'${s}'`).join(",")})`;
}
