import { processStartTime } from "../agent/process-start.js";
import { groupAlive, signalGroup } from "../agent/process-group.js";
import { isProcessAlive } from "../common/process-alive.js";
import { orphanedAgentGroups, type RecordedAgentGroup } from "../store/agent-runs.js";
import type { Store } from "../store/open-store.js";

const KILL_GRACE_MS = 2000;

/**
 * Ends the agent process groups that daemons now gone left running on this host (each run
 * has a watchdog that does this when its daemon dies; this is the net under it, for a
 * watchdog that was killed too). Returns how many groups were signalled. `othersAreGone`:
 * every other daemon of this store is gone (SQLite: one daemon per store).
 */
export async function endOrphanedAgents(
  store: Pick<Store, "write">,
  ownDaemonId: string,
  othersAreGone: boolean,
): Promise<number> {
  const groups = await store.write((trx) => orphanedAgentGroups(trx, ownDaemonId, othersAreGone, isProcessAlive));
  let ended = 0;
  for (const group of groups) {
    if (!stillOurs(group)) continue;
    signalGroup(group.pid, "SIGTERM");
    ended++;
    setTimeout(() => stillOurs(group) && signalGroup(group.pid, "SIGKILL"), KILL_GRACE_MS).unref();
  }
  return ended;
}

/**
 * Whether the recorded group still exists and is the one recorded: its leader has the
 * recorded start time, or the leader is gone but members remain (Linux does not reuse a pid
 * while a group of that id exists, so the group is the agent's). A live process of that pid
 * with another start time is a newcomer that reused it: never touched.
 */
function stillOurs(group: RecordedAgentGroup): boolean {
  const start = processStartTime(group.pid);
  if (start !== undefined) return start === group.startTime;
  return groupAlive(group.pid);
}
