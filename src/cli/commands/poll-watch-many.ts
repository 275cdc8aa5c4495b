import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { EventKind } from "../../../gen/claude_comms/v1/message_pb.js";
import { WatchMessagesResponseSchema } from "../../../gen/claude_comms/v1/polling_service_pb.js";
import { createPollingClient } from "../../client/polling-client.js";
import { integerOption, labelsOption } from "../args.js";
import type { CommandContext } from "../context.js";
import { CliError, usageError } from "../errors.js";
import { eventLine } from "../event-line.js";
import { ExitCode } from "../exit-codes.js";
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
 * many messages (WatchMessages), one line per event (JSON lines with --json). Runs until
 * interrupted; a watcher cut off for falling behind resumes by itself from its last seq.
 */
export async function run(ctx: CommandContext, opts: WatchManyOptions): Promise<number> {
  if (!opts.thread && !opts.all && !opts.status.length && !opts.module && !opts.label.length) {
    throw usageError("poll watch needs a message id, or --thread T, --all, --status, --module or --label");
  }
  const polling = createPollingClient(ctx);
  const request = {
    threadId: opts.thread ?? "",
    statuses: opts.status.map(parseStatus),
    module: opts.module ?? "",
    labels: labelsOption(opts.label),
  };
  let afterSeq = opts.afterSeq === undefined ? undefined : BigInt(integerOption(opts.afterSeq, "--after-seq"));
  for (;;) {
    try {
      for await (const { event } of polling.watchMessages({ ...request, afterSeq })) {
        if (!event) continue;
        if (event.seq > 0n) afterSeq = event.seq;
        if (ctx.globals.json) ctx.json(WatchMessagesResponseSchema, create(WatchMessagesResponseSchema, { event }));
        else if (event.kind !== EventKind.HEARTBEAT) ctx.out(eventLine(event, true));
      }
      return ExitCode.OK;
    } catch (error) {
      const err = ConnectError.from(error);
      if (err.code === Code.ResourceExhausted && afterSeq !== undefined) continue; // fell behind: resume
      if (err.code === Code.Unavailable && afterSeq !== undefined) {
        throw new CliError(`watch ended: ${err.rawMessage.split(";")[0]}; resume with --after-seq ${afterSeq}`, ExitCode.UNAVAILABLE);
      }
      throw error;
    }
  }
}
