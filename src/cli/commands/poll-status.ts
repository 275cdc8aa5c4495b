import { durationMs, timestampDate } from "@bufbuild/protobuf/wkt";
import { GetDaemonStatusResponseSchema } from "../../../gen/claude_comms/v1/polling_service_pb.js";
import { formatDurationMs } from "../../common/duration.js";
import { UNARY_TIMEOUT_MS, type CommandContext } from "../context.js";
import { formatBytes, formatTime, renderFields } from "../format.js";
import { createPollingClient } from "../../client/polling-client.js";

/** `poll status`: the daemon's process, store, monitors, watchers and poller statistics. */
export async function run(ctx: CommandContext): Promise<number> {
  const polling = createPollingClient(ctx);
  const status = await polling.getDaemonStatus({}, { timeoutMs: UNARY_TIMEOUT_MS });
  if (ctx.globals.json) {
    ctx.json(GetDaemonStatusResponseSchema, status);
    return 0;
  }
  const started = status.startTime ? timestampDate(status.startTime) : undefined;
  const uptime = started ? `${formatDurationMs(Date.now() - started.getTime())} (since ${formatTime(status.startTime)})` : "-";
  const ticks = status.ticks;
  ctx.out(
    renderFields([
      ["pid", String(status.pid)],
      ["version", status.version],
      ["uptime", uptime],
      ["interval", status.interval ? formatDurationMs(durationMs(status.interval)) : "-"],
      ["store", status.store],
      ["store size", status.storeBytes > 0n ? formatBytes(status.storeBytes) : "unknown"],
      ["monitored", String(status.monitored)],
      ["watchers", String(status.watchers)],
      ["head seq", String(status.headSeq)],
      ["ticks", ticks ? `${ticks.ticks} (${ticks.skippedTicks} skipped), last ${formatTime(ticks.lastTickTime)}` : "-"],
      ["events", ticks ? `${ticks.events} (${ticks.eventsPerSecond.toFixed(1)}/s over the last minute)` : "-"],
      ["listen", status.listen.join(", ") || "-"],
      ["agents", `${status.agentsRunning} running, ${status.agentsQueued} queued`],
      ["dashboard", status.dashboard ? `http://${status.dashboard}/` : "-"],
    ]),
  );
  return 0;
}
