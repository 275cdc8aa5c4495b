import { create } from "@bufbuild/protobuf";
import { WaitMessageResponseSchema } from "../../../gen/claude_comms/v1/polling_service_pb.js";
import { followMessage, type FollowState } from "../../client/follow.js";
import { createPollingClient } from "../../client/polling-client.js";
import { formatDurationMs } from "../../common/duration.js";
import { durationOption } from "../args.js";
import { UNARY_TIMEOUT_MS, type CommandContext } from "../context.js";
import { CliError } from "../errors.js";
import { ExitCode } from "../exit-codes.js";
import { reconnectNotice } from "../follow-notice.js";
import { exitCodeOfStatus, statusName } from "../status.js";

interface WaitOptions {
  timeout?: string;
}

/**
 * `poll wait ID [--timeout S]`: waits for the message to finish (following it across daemon
 * restarts) and prints its final status; exits with that status's code, or 75 when it is
 * still running at the timeout.
 */
export async function run(ctx: CommandContext, opts: WaitOptions, id: string): Promise<number> {
  const timeoutMs = opts.timeout === undefined ? undefined : durationOption(opts.timeout, "--timeout");
  const polling = createPollingClient(ctx);
  const signal = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
  let last: FollowState | undefined;
  const onEvent = (_event: unknown, state: FollowState) => void (last = state);
  const state = await followMessage(polling, id, onEvent, {
    signal,
    // With a --timeout, keep trying to reach the daemon until it; without, for the default window.
    reconnectWindowMs: timeoutMs,
    onReconnect: reconnectNotice(ctx, false),
  }).catch((error: unknown) => {
    if (signal?.aborted) return undefined;
    throw error;
  });
  const code = state ? exitCodeOfStatus(state.status) : undefined;
  if (ctx.globals.json) {
    const { message } = await polling.showMessage({ messageId: id }, { timeoutMs: UNARY_TIMEOUT_MS });
    ctx.json(WaitMessageResponseSchema, create(WaitMessageResponseSchema, { message, finished: code !== undefined }));
  }
  if (code === undefined) {
    const after = timeoutMs === undefined ? "the wait" : formatDurationMs(timeoutMs);
    // A timeout shorter than the watch's start leaves no state seen: ask once where it stands.
    const status = last?.status ?? (await polling.showMessage({ messageId: id }, { timeoutMs: UNARY_TIMEOUT_MS })).message?.status;
    throw new CliError(`still ${statusName(status ?? 0)} after ${after}`, ExitCode.WAIT_TIMEOUT);
  }
  if (!ctx.globals.json) ctx.out(state!.error ? `${statusName(state!.status)}: ${state!.error}` : statusName(state!.status));
  return code;
}
