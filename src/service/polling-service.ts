import type { ServiceImpl } from "@connectrpc/connect";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type {
  PollingService,
  WatchMessageRequest,
  WatchMessageResponse,
  WatchMessagesRequest,
  WatchMessagesResponse,
} from "../../gen/claude_comms/v1/polling_service_pb.js";
import { deleteMonitors, upsertMonitor } from "../store/monitors.js";
import { getMessage, listMessages } from "../store/messages.js";
import { messageEventsAfter } from "../store/events.js";
import { FailedPreconditionError, InvalidInputError, NotFoundError } from "../common/errors.js";
import { isTerminal } from "../store/status.js";
import type { ServiceContext } from "./context.js";
import { durationFromMillis, eventToProto, messageToProto, statusFromProto } from "./convert.js";
import { requireLocalPeer } from "./peer.js";
import { checkLabels, decodePageToken, encodePageToken, optionalDurationMs, optionalId, pageSize, requireId } from "./validate.js";
import { waitForFinish } from "./wait.js";
import { streamWatch, openWatchOne, type OpenWatch } from "./watch.js";
import { openWatchMany } from "./watch-many.js";

const MAX_WATCH_IDS = 10_000;

/** The PollingService handlers: validate → store/poller → convert. */
export function pollingService(ctx: ServiceContext): ServiceImpl<typeof PollingService> {
  const { store } = ctx;
  return {
    async addMessage(req) {
      const messageId = requireId(req.messageId, "message_id");
      const input = {
        messageId,
        threadId: optionalId(req.threadId, "thread_id"),
        timeoutMs: optionalDurationMs(req.timeout, "timeout", ctx.maxTimeoutMs),
        labels: checkLabels(req.labels),
      };
      const created = await store.write((trx) => upsertMonitor(trx, input));
      return { message: messageToProto(await getMessage(store.reader, messageId)), created };
    },

    async removeMessage(req) {
      const messageId = requireId(req.messageId, "message_id");
      const removed = await store.write((trx) => deleteMonitors(trx, [messageId], "removed"));
      const message = await getMessage(store.reader, messageId);
      if (!removed) throw new NotFoundError(`message "${messageId}" is not monitored`);
      return { message: messageToProto(message) };
    },

    async showMessage(req) {
      const messageId = requireId(req.messageId, "message_id");
      const contentFrom = req.includeContent ? Number(req.contentOffset) : undefined;
      return store.reader.snapshot(async (reader) => ({
        message: messageToProto(await getMessage(reader, messageId, { contentFrom })),
        history: (await messageEventsAfter(reader, messageId, 0)).map(eventToProto),
      }));
    },

    async listMessages(req) {
      const page = await listMessages(store.reader, {
        status: req.status ? statusFromProto(req.status) : undefined,
        threadId: optionalId(req.threadId, "thread_id"),
        module: optionalId(req.module, "module"),
        all: req.all,
        afterRowId: decodePageToken(req.pageToken),
        limit: pageSize(req.pageSize, 100, 1000),
      });
      return {
        messages: page.messages.map(messageToProto),
        nextPageToken: page.lastRowId === undefined ? "" : encodePageToken(page.lastRowId),
      };
    },

    watchMessage: (req, call) => watchMessageStream(ctx, req, call.signal),

    watchMessages: (req, call) => watchMessagesStream(ctx, req, call.signal),

    async waitMessage(req, call) {
      const messageId = requireId(req.messageId, "message_id");
      const timeoutMs = optionalDurationMs(req.timeout, "timeout", ctx.maxTimeoutMs);
      const message = await waitForFinish(ctx, messageId, timeoutMs, call.signal);
      return { message: messageToProto(message), finished: isTerminal(message.status) };
    },

    async cancelMessage(req) {
      const messageId = requireId(req.messageId, "message_id");
      const reason = req.reason || "cancelled";
      await ctx.asks.cancel(messageId, reason);
      return { message: messageToProto(await getMessage(store.reader, messageId)) };
    },

    async getDaemonStatus() {
      // The head includes every write acknowledged before this call: a client may watch
      // after it and see only what came next. A store that cannot be read leaves the head
      // where the last drain left it (the status call still answers; its health says why).
      const headSeq = await ctx.poller.catchUp().catch(() => ctx.hub.headSeq);
      const facts = ctx.facts();
      const stats = ctx.poller.stats;
      return {
        pid: facts.pid,
        version: facts.version,
        startTime: timestampFromMs(facts.startTime),
        interval: durationFromMillis(facts.intervalMs),
        store: store.description,
        monitored: BigInt(ctx.poller.monitored),
        watchers: ctx.watchers.count,
        headSeq: BigInt(headSeq),
        listen: facts.listen,
        storeBytes: BigInt(store.sizeBytes()),
        agentsRunning: ctx.asks.running,
        agentsQueued: ctx.asks.queued,
        dashboard: ctx.dashboard()?.listening ?? "",
        ticks: {
          ticks: BigInt(stats.ticks),
          skippedTicks: BigInt(stats.skipped),
          events: BigInt(stats.events),
          lastTickTime: stats.lastTickAt ? timestampFromMs(stats.lastTickAt) : undefined,
          lastTickDuration: durationFromMillis(stats.lastTickMs),
          eventsPerSecond: stats.eventsPerSecond(),
        },
      };
    },

    async stopDaemon(_req, context) {
      requireLocalPeer(context, "StopDaemon");
      ctx.requestStop();
      return {};
    },

    async createDashboardLink() {
      const link = ctx.dashboard()?.createLink();
      if (!link) throw new FailedPreconditionError("this daemon serves no dashboard: start it with --dashboard PORT (or CLAUDE_COMMS_DASHBOARD=PORT)");
      return { url: link.url, expireTime: timestampFromMs(link.expiresAt) };
    },
  };
}


/**
 * A WatchMessage call, validated: opens its watch when called. Shared by the Connect handler
 * (as a generator, watchMessageStream) and the daemon's gRPC fast path (pushed), so both
 * answer alike.
 */
export function watchMessageOpener(ctx: ServiceContext, req: WatchMessageRequest): () => OpenWatch<WatchMessageResponse> {
  const messageId = requireId(req.messageId, "message_id");
  const afterSeq = req.afterSeq === undefined ? undefined : Number(req.afterSeq);
  return () => openWatchOne(ctx, messageId, afterSeq);
}

/** A WatchMessages call, validated (both paths, as above). */
export function watchMessagesOpener(ctx: ServiceContext, req: WatchMessagesRequest): () => OpenWatch<WatchMessagesResponse> {
  if (req.messageIds.length > MAX_WATCH_IDS) {
    throw new InvalidInputError(`at most ${MAX_WATCH_IDS} message_ids per watch; filter by thread or labels instead`);
  }
  const filter = {
    messageIds: new Set(req.messageIds.map((id) => requireId(id, "message_ids[]"))),
    threadId: optionalId(req.threadId, "thread_id"),
    statuses: new Set(req.statuses.map((s) => statusFromProto(s, "statuses[]"))),
    module: optionalId(req.module, "module"),
    labels: checkLabels(req.labels),
  };
  if (req.afterSeq !== undefined && req.sendInitialSnapshots) {
    throw new InvalidInputError("send_initial_snapshots cannot be combined with after_seq: a resumed watch replays events instead");
  }
  const start = req.afterSeq === undefined ? { snapshots: req.sendInitialSnapshots } : { afterSeq: Number(req.afterSeq) };
  return () => openWatchMany(ctx, filter, start);
}

/** The WatchMessage stream as a generator; validation errors throw before it is returned. */
export function watchMessageStream(ctx: ServiceContext, req: WatchMessageRequest, signal: AbortSignal): AsyncGenerator<WatchMessageResponse> {
  return streamWatch(ctx, watchMessageOpener(ctx, req), signal);
}

/** The WatchMessages stream as a generator (as above). */
export function watchMessagesStream(ctx: ServiceContext, req: WatchMessagesRequest, signal: AbortSignal): AsyncGenerator<WatchMessagesResponse> {
  return streamWatch(ctx, watchMessagesOpener(ctx, req), signal);
}
