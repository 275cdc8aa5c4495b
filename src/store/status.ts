import type { StatusName } from "../common/status.js";

// The table itself is shared with the client and the CLI, which may not import store/.
export { ACTIVE_STATUSES, STATUS_NAMES, TERMINAL_STATUSES, isStatusName, isTerminal, type StatusName } from "../common/status.js";

/** SQL list literal of statuses, for triggers and WHERE clauses: ('a','b'). */
export function sqlStatusList(statuses: readonly StatusName[]): string {
  return `(${statuses.map((s) => `'${s}'`).join(",")})`;
}
