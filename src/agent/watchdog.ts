import { spawn } from "node:child_process";

/**
 * The watchdog's script: it waits on a pipe from the daemon. A line means the run ended
 * normally (exit quietly); end of file means the daemon died (even by SIGKILL, which no
 * handler sees): end the agent's process group, SIGTERM then SIGKILL after two seconds.
 */
const SCRIPT = `if read -r _; then exit 0; fi
kill -s TERM -- "-$1" 2>/dev/null || exit 0
sleep 2
kill -s KILL -- "-$1" 2>/dev/null
exit 0`;

/** A running watchdog; {@link release} tells it the run ended normally. */
export interface Watchdog {
  release(): void;
}

/**
 * Starts a watchdog for the agent group `pgid`: a tiny `sh` in its own process group whose
 * standard input is a pipe the daemon holds. When the daemon dies the kernel closes the pipe
 * and the watchdog ends the group, so no agent outlives the daemon (an agent that does not
 * watch its own pipes would otherwise run on unsupervised). Never throws: without `sh` the
 * run goes on unwatched.
 */
export function startWatchdog(pgid: number): Watchdog {
  try {
    const child = spawn("/bin/sh", ["-c", SCRIPT, "watchdog", String(pgid)], { detached: true, stdio: ["pipe", "ignore", "ignore"] });
    child.on("error", () => undefined);
    child.stdin?.on("error", () => undefined);
    child.unref();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    return { release: () => child.stdin?.end("done\n") };
  } catch {
    return { release: () => undefined };
  }
}
