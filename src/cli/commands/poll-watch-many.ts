import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { EventKind, type Event } from "../../../gen/claude_comms/v1/message_pb.js";
import { WatchMessagesResponseSchema } from "../../../gen/claude_comms/v1/polling_service_pb.js";
import { followEvents, type OpenEvents } from "../../client/follow.js";
import { createPollingClient } from "../../client/polling-client.js";
import { integerOption, labelsOption } from "../args.js";
import type { CommandContext } from "../context.js";
import { usageError } from "../errors.js";
import { eventLine } from "../event-line.js";
import { ExitCode } from "../exit-codes.js";
import { reconnectNotice, resumeHint } from "../follow-notice.js";
import { parseStatus } from "../status.js";

interface WatchManyOptions {
  thread?: string;
  all?: boolean;
  status: string[];
  module?: string;
  label: string[];
  afterSeq?: string;
}

/**
 * `poll watch --thread T | --all [--status S]… [--module M] [--label K=V]…`: one stream for
 * many messages (WatchMessages): a snapshot of each matching message, then one line per
 * event (JSON lines with --json). Runs until interrupted; a watcher cut off (fallen behind,
 * daemon restarted) resumes from its last seq.
 */
export async function run(ctx: CommandContext, opts: WatchManyOptions): Promise<number> {
  if (!opts.thread && !opts.all && !opts.status.length && !opts.module && !opts.label.length) {
    throw usageError("poll watch needs a message id, or --thread T, --all, --status, --module or --label");
  }
  if (opts.all && opts.thread !== undefined) throw usageError("--all and --thread contradict each other: --all watches every thread");
  const polling = createPollingClient(ctx);
  const request = {
    threadId: opts.thread ?? "",
    statuses: opts.status.map(parseStatus),
    module: opts.module ?? "",
    labels: labelsOption(opts.label),
  };
  const afterSeq = opts.afterSeq === undefined ? undefined : BigInt(integerOption(opts.afterSeq, "--after-seq"));
  // A fresh watch opens with a snapshot of every matching message (then live events); a
  // resumed one replays what came after its seq instead.
  let snapshots = true;
  const open: OpenEvents = (after, signal) =>
    polling.watchMessages({ ...request, afterSeq: after, sendInitialSnapshots: snapshots && after === undefined }, { signal });
  let last = afterSeq ?? 0n;
  const print = (event: Event) => {
    if (event.seq > last) last = event.seq;
    if (ctx.globals.json) ctx.json(WatchMessagesResponseSchema, create(WatchMessagesResponseSchema, { event }));
    else if (event.kind !== EventKind.HEARTBEAT) ctx.out(eventLine(event, true));
  };
  const follow = () => followEvents(open, print, { afterSeq, onReconnect: reconnectNotice(ctx, false) });
  await follow()
    .catch((error: unknown) => {
      // Too many matching messages to snapshot: follow the live events alone, and say so.
      if (last > 0n || afterSeq !== undefined || ConnectError.from(error).code !== Code.FailedPrecondition) throw error;
      snapshots = false;
      process.stderr.write(`claude-comms: ${ConnectError.from(error).rawMessage}; following live events without the initial snapshots\n`);
      return follow();
    })
    .catch((error: unknown) => {
      throw last > 0n ? resumeHint(error, commandLine(opts), last) : error;
    });
  return ExitCode.OK;
}

// This watch as a command line, for the resume hint.
function commandLine(opts: WatchManyOptions): string {
  const words = ["poll watch"];
  if (opts.thread) words.push(`--thread ${opts.thread}`);
  if (opts.all) words.push("--all");
  for (const status of opts.status) words.push(`--status ${status}`);
  if (opts.module) words.push(`--module ${opts.module}`);
  for (const label of opts.label) words.push(`--label ${label}`);
  return words.join(" ");
}
