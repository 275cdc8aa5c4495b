import { setTimeout as sleep } from "node:timers/promises";
import { CliError } from "../errors.js";
import { isConnectionFailure } from "../../client/connection-errors.js";
import { transportOptionsOf, UNARY_TIMEOUT_MS, type CommandContext } from "../context.js";
import { createPollingClient } from "../../client/polling-client.js";

// How long `poll stop` waits for the daemon to stop answering.
const STOP_TIMEOUT_MS = 10_000;
const PROBE_INTERVAL_MS = 100;

/** `poll stop`: asks the daemon to stop, then waits until it no longer answers. */
export async function run(ctx: CommandContext): Promise<number> {
  // Learn the pid first: it goes in the message, and StopDaemon's own errors stay readable.
  const polling = createPollingClient(ctx);
  const { pid } = await polling.getDaemonStatus({}, { timeoutMs: UNARY_TIMEOUT_MS });
  await polling.stopDaemon({}, { timeoutMs: UNARY_TIMEOUT_MS });
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (await answers(ctx)) {
    if (Date.now() > deadline) {
      throw new CliError(`daemon (pid ${pid}) still answering at ${ctx.target} ${STOP_TIMEOUT_MS / 1000}s after the stop request`);
    }
    await sleep(PROBE_INTERVAL_MS);
  }
  if (ctx.globals.json) ctx.out(JSON.stringify({ event: "stopped", pid }));
  else ctx.out(`daemon stopped (pid ${pid})`);
  return 0;
}

// Probes on a fresh connection each time, so a session to the stopping daemon is not
// reused. An error the daemon sends (UNAVAILABLE while it drains) means it still answers.
async function answers(ctx: CommandContext): Promise<boolean> {
  const client = createPollingClient(transportOptionsOf(ctx.globals));
  try {
    await client.getDaemonStatus({}, { timeoutMs: 1000 });
    return true;
  } catch (error) {
    return !isConnectionFailure(error);
  }
}
