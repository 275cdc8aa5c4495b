/*
 * The one table of message statuses: their names, which are terminal and which are active.
 * Pure data keyed by the lowercase names the store keeps (the original tool's strings), so
 * that every side may import it: the store (which knows nothing of gen/), and the client
 * and the CLI (which map the generated enum to these names by name, never by enum order).
 */

/** A message status as the store keeps it and the CLI prints it. */
export type StatusName = "pending" | "processing" | "complete" | "failed" | "timed_out" | "cancelled";

/** What each status is: terminal (no transition may leave it) or active (still working). */
const TABLE: Readonly<Record<StatusName, { terminal: boolean }>> = {
  pending: { terminal: false },
  processing: { terminal: false },
  complete: { terminal: true },
  failed: { terminal: true },
  timed_out: { terminal: true },
  cancelled: { terminal: true },
};

/** Every status, in lifecycle order. */
export const STATUS_NAMES: readonly StatusName[] = Object.keys(TABLE) as StatusName[];

/** The statuses no transition may leave. */
export const TERMINAL_STATUSES: readonly StatusName[] = STATUS_NAMES.filter((name) => TABLE[name].terminal);

/** The statuses a message is still working in. */
export const ACTIVE_STATUSES: readonly StatusName[] = STATUS_NAMES.filter((name) => !TABLE[name].terminal);

/** True when `value` is one of the status names. */
export function isStatusName(value: unknown): value is StatusName {
  return typeof value === "string" && Object.hasOwn(TABLE, value);
}

/** True when `status` is terminal; false for anything that is not a status name. */
export function isTerminal(status: string): boolean {
  return isStatusName(status) && TABLE[status].terminal;
}
