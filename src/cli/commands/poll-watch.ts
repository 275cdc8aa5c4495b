import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { EventKind, type Event } from "../../../gen/claude_comms/v1/message_pb.js";
import { WatchMessageResponseSchema } from "../../../gen/claude_comms/v1/polling_service_pb.js";
import { integerOption } from "../args.js";
import type { CommandContext } from "../context.js";
import { CliError } from "../errors.js";
import { ExitCode } from "../exit-codes.js";
import { followMessage, type FollowState } from "../follow.js";
import { eventLine } from "../event-line.js";
import { exitCodeOfStatus, statusName } from "../status.js";
import { createPollingClient } from "../../client/polling-client.js";

interface WatchOptions {
  afterSeq?: string;
}

/**
 * `poll watch ID`: follows a message to its end. On a terminal: one live line, rewritten in
 * place. Otherwise: one line per event (heartbeats left out); with --json: every event as
 * one JSON object per line. Exits with the code of the final status.
 */
export async function run(ctx: CommandContext, opts: WatchOptions, id: string): Promise<number> {
  const polling = createPollingClient(ctx);
  const afterSeq = opts.afterSeq === undefined ? undefined : BigInt(integerOption(opts.afterSeq, "--after-seq"));
  const live = !ctx.globals.json && process.stdout.isTTY === true;
  // Leave the terminal on a fresh line when interrupted mid-line.
  if (live) process.once("SIGINT", () => process.stdout.write("\n", () => process.exit(130)));
  const print = printer(ctx, id, live);
  let seen: FollowState | undefined;
  const onEvent = (event: Event, state: FollowState) => {
    seen = state;
    print(event, state);
  };
  const state = await followMessage(polling, id, onEvent, afterSeq).catch((error: unknown) => {
    if (live && seen) process.stdout.write("\n");
    throw seen ? resumable(error, id, seen.seq) : error;
  });
  if (live) process.stdout.write("\n");
  const code = exitCodeOfStatus(state.status);
  if (code === undefined) {
    throw new CliError(`watch of ${id} ended while it was ${statusName(state.status)} (resume with --after-seq ${state.seq})`);
  }
  return code;
}

function printer(ctx: CommandContext, id: string, live: boolean): (event: Event, state: FollowState) => void {
  if (ctx.globals.json) return (event) => ctx.json(WatchMessageResponseSchema, create(WatchMessageResponseSchema, { event }));
  if (live) return (_event, state) => void process.stdout.write(`\r\x1b[K${liveLine(id, state)}`);
  return (event) => {
    if (event.kind !== EventKind.HEARTBEAT) ctx.out(eventLine(event));
  };
}

// A stream cut short (the daemon stopping, UNAVAILABLE) says how to pick up where it ended.
function resumable(error: unknown, id: string, seq: bigint): unknown {
  if (!(error instanceof ConnectError) || error.code !== Code.Unavailable) return error;
  // The daemon's text may carry its own resume hint in API terms; give the command instead.
  const reason = error.rawMessage.split(";")[0];
  const message = `watch of ${id} ended: ${reason}; resume with: claude-comms poll watch ${id} --after-seq ${seq}`;
  return new CliError(message, ExitCode.UNAVAILABLE);
}

function liveLine(id: string, state: FollowState): string {
  return `${id}  ${statusName(state.status)}  ${state.contentLength} bytes  seq ${state.seq}`;
}
