import fs from "node:fs";

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** CPU time (user + system) a process has used so far, in ms, from /proc/PID/stat. */
export function cpuTimeMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS; // utime, stime (fields 14, 15)
}

/** CPU time of `pid` between two moments: call the returned function at the end. */
export function cpuMeter(pid: number): () => { cpuMs: number; wallMs: number; share: number } {
  const cpu0 = cpuTimeMs(pid);
  const t0 = performance.now();
  return () => {
    const cpuMs = cpuTimeMs(pid) - cpu0;
    const wallMs = performance.now() - t0;
    // Not rounded: an idle share is a fraction of a percent (the clock ticks are 10 ms).
    return { cpuMs, wallMs, share: cpuMs / wallMs };
  };
}
