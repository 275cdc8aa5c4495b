import { ConnectError } from "@connectrpc/connect";
import { isResumable } from "../client/follow.js";
import type { CommandContext } from "./context.js";
import { CliError } from "./errors.js";
import { ExitCode } from "./exit-codes.js";

/**
 * The `onReconnect` of a CLI follower: says once on stderr that the daemon went away and the
 * command is waiting for it, so a silent pause is not taken for a hang.
 */
export function reconnectNotice(ctx: CommandContext, live: boolean): (error: unknown) => void {
  let told = false;
  return (error) => {
    if (told) return;
    told = true;
    const reason = error instanceof ConnectError ? error.rawMessage.split(";")[0] : String(error);
    process.stderr.write(`${live ? "\n" : ""}claude-comms: lost the daemon at ${ctx.target} (${reason}); resuming when it is back\n`);
  };
}

/**
 * A follower that gave up after seeing events: when the daemon stayed away, say how to pick
 * up where the watch ended, in this command's own terms (exit 69).
 */
export function resumeHint(error: unknown, command: string, seq: bigint): unknown {
  if (!isResumable(error)) return error;
  const reason = error instanceof ConnectError ? error.rawMessage.split(";")[0] : String(error);
  return new CliError(`${command} ended: ${reason}; resume with: claude-comms ${command} --after-seq ${seq}`, ExitCode.UNAVAILABLE);
}
