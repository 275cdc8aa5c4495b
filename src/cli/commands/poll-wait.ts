import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { WaitMessageResponseSchema } from "../../../gen/claude_comms/v1/polling_service_pb.js";
import { formatDurationMs } from "../../shared/duration.js";
import { durationOption } from "../args.js";
import type { CommandContext } from "../context.js";
import { CliError } from "../errors.js";
import { ExitCode } from "../exit-codes.js";
import { exitCodeOfStatus, statusName } from "../status.js";
import { createPollingClient } from "../../client/polling-client.js";

// Room for the daemon to answer after the wait's own timeout.
const CALL_MARGIN_MS = 10_000;

interface WaitOptions {
  timeout?: string;
}

/**
 * `poll wait ID [--timeout S]`: waits for the message to finish and prints its final status;
 * exits with that status's code, or 75 when it is still running at the timeout.
 */
export async function run(ctx: CommandContext, opts: WaitOptions, id: string): Promise<number> {
  const timeoutMs = opts.timeout === undefined ? undefined : durationOption(opts.timeout, "--timeout");
  const polling = createPollingClient(ctx);
  const response = await polling.waitMessage(
    { messageId: id, timeout: timeoutMs ? durationFromMs(timeoutMs) : undefined },
    timeoutMs ? { timeoutMs: timeoutMs + CALL_MARGIN_MS } : {},
  );
  const message = response.message;
  const status = message ? statusName(message.status) : "unknown";
  if (ctx.globals.json) ctx.json(WaitMessageResponseSchema, response);
  const code = response.finished && message ? exitCodeOfStatus(message.status) : undefined;
  if (code === undefined) {
    const after = timeoutMs ? formatDurationMs(timeoutMs) : "the wait";
    throw new CliError(`still ${status} after ${after}`, ExitCode.WAIT_TIMEOUT);
  }
  if (!ctx.globals.json) ctx.out(message?.error ? `${status}: ${message.error}` : status);
  return code;
}
