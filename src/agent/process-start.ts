import { readFileSync } from "node:fs";

/**
 * The kernel's start time of process `pid` (field 22 of `/proc/PID/stat`, clock ticks
 * since boot), as a string; undefined when the process is gone or there is no `/proc`.
 * With the pid it names one process for good: a later process reusing the pid starts later.
 */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: count from the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19];
  } catch {
    return undefined;
  }
}
