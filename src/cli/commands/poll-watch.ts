import { create } from "@bufbuild/protobuf";
import { EventKind, type Event } from "../../../gen/claude_comms/v1/message_pb.js";
import { WatchMessageResponseSchema } from "../../../gen/claude_comms/v1/polling_service_pb.js";
import { followMessage, type FollowState } from "../../client/follow.js";
import { createPollingClient } from "../../client/polling-client.js";
import { integerOption } from "../args.js";
import type { CommandContext } from "../context.js";
import { CliError, usageError } from "../errors.js";
import { eventLine } from "../event-line.js";
import { reconnectNotice, resumeHint } from "../follow-notice.js";
import { exitCodeOfStatus, statusName } from "../status.js";

interface WatchOptions {
  afterSeq?: string;
  thread?: string;
  all?: boolean;
  status?: string[];
  module?: string;
  label?: string[];
}

/**
 * `poll watch ID`: follows a message to its end, across daemon restarts. On a terminal: one
 * live line, rewritten in place. Otherwise: one line per event (heartbeats left out); with
 * --json: every event as one JSON object per line. Exits with the code of the final status.
 */
export async function run(ctx: CommandContext, opts: WatchOptions, id: string): Promise<number> {
  refuseFilters(opts, id);
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
  const state = await followMessage(polling, id, onEvent, { afterSeq, onReconnect: reconnectNotice(ctx, live) }).catch((error: unknown) => {
    if (live && seen) process.stdout.write("\n");
    throw seen ? resumeHint(error, `poll watch ${id}`, seen.seq) : error;
  });
  if (live) process.stdout.write("\n");
  const code = exitCodeOfStatus(state.status);
  if (code === undefined) {
    throw new CliError(`watch of ${id} ended while it was ${statusName(state.status)} (resume with: claude-comms poll watch ${id} --after-seq ${state.seq})`);
  }
  return code;
}

// The filters select many messages; with an id they would be silently ignored.
function refuseFilters(opts: WatchOptions, id: string): void {
  const given = [
    opts.thread !== undefined && "--thread",
    opts.all && "--all",
    opts.status?.length && "--status",
    opts.module !== undefined && "--module",
    opts.label?.length && "--label",
  ].filter(Boolean);
  if (given.length) {
    throw usageError(`poll watch ${id} follows one message; ${given.join(", ")} ${given.length === 1 ? "selects" : "select"} many: drop the id or the filters`);
  }
}

function printer(ctx: CommandContext, id: string, live: boolean): (event: Event, state: FollowState) => void {
  if (ctx.globals.json) return (event) => ctx.json(WatchMessageResponseSchema, create(WatchMessageResponseSchema, { event }));
  if (live) return (_event, state) => void process.stdout.write(`\r\x1b[K${liveLine(id, state)}`);
  return (event) => {
    if (event.kind !== EventKind.HEARTBEAT) ctx.out(eventLine(event));
  };
}

/** The live line: id, status, length, seq, and the reason of a failed, timed-out or cancelled message. */
export function liveLine(id: string, state: FollowState): string {
  const line = `${id}  ${statusName(state.status)}  ${state.contentLength} bytes  seq ${state.seq}`;
  return state.error ? `${line}  ${state.error}` : line;
}
