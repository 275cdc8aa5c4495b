import { create, type JsonObject } from "@bufbuild/protobuf";
import { DurationSchema, timestampFromMs, type Duration, type Timestamp } from "@bufbuild/protobuf/wkt";
import {
  EventKind,
  EventSchema,
  MessageSchema,
  MessageStatus,
  MonitorSchema,
  ThreadSchema,
  type Event,
  type Message,
  type Thread,
} from "../../gen/claude_comms/v1/message_pb.js";
import { InvalidInputError } from "../common/errors.js";
import {
  jsonDepth,
  MAX_METADATA_BYTES,
  MAX_METADATA_DEPTH,
  readableCount,
  readableMetadata,
  readableSeconds,
  readableText,
} from "./readable.js";
import { ModuleSchema, type Module } from "../../gen/claude_comms/v1/module_service_pb.js";
import type { ModuleRecord } from "../store/modules.js";
import {
  WatchMessageResponseSchema,
  WatchMessagesResponseSchema,
  type WatchMessageResponse,
  type WatchMessagesResponse,
} from "../../gen/claude_comms/v1/polling_service_pb.js";
import type { EventKindName, EventRecord, MessageRecord, ThreadRecord } from "../store/records.js";
import type { StatusName } from "../store/status.js";

/*
 * The one place rows (store records) become protobuf messages and back.
 */

const STATUS_TO_PROTO: Record<StatusName, MessageStatus> = {
  pending: MessageStatus.PENDING,
  processing: MessageStatus.PROCESSING,
  complete: MessageStatus.COMPLETE,
  failed: MessageStatus.FAILED,
  timed_out: MessageStatus.TIMED_OUT,
  cancelled: MessageStatus.CANCELLED,
};

const KIND_TO_PROTO: Record<EventKindName, EventKind> = {
  created: EventKind.CREATED,
  status_changed: EventKind.STATUS_CHANGED,
  progress: EventKind.PROGRESS,
  registered: EventKind.REGISTERED,
  unregistered: EventKind.UNREGISTERED,
  agent_tool_use: EventKind.AGENT_TOOL_USE,
  agent_tool_error: EventKind.AGENT_TOOL_ERROR,
  agent_retry: EventKind.AGENT_RETRY,
  agent_result: EventKind.AGENT_RESULT,
};

/** The protobuf enum of a stored status (UNSPECIFIED for null). */
export function statusToProto(status: StatusName | null): MessageStatus {
  return (status && STATUS_TO_PROTO[status]) ?? MessageStatus.UNSPECIFIED;
}

/**
 * The stored status of a protobuf enum value. UNSPECIFIED and numbers outside the enum
 * (protobuf decodes any number) are InvalidInputError.
 */
export function statusFromProto(status: MessageStatus, field = "status"): StatusName {
  const entry = Object.entries(STATUS_TO_PROTO).find(([, value]) => value === status);
  if (!entry) {
    const valid = Object.keys(STATUS_TO_PROTO).map((s) => `MESSAGE_STATUS_${s.toUpperCase()}`);
    throw new InvalidInputError(
      status === MessageStatus.UNSPECIFIED
        ? `${field} is required: use one of ${valid.join(", ")}`
        : `${field} ${status} is not a known status: use one of ${valid.join(", ")}`,
    );
  }
  return entry[0] as StatusName;
}

/** A Timestamp from Unix seconds. */
export function timestampFromSeconds(seconds: number): Timestamp {
  return timestampFromMs(Math.round(seconds * 1000));
}

/** A Duration from (possibly fractional) milliseconds, exact to the nanosecond. */
export function durationFromMillis(ms: number): Duration {
  const nanosTotal = Math.round(ms * 1e6);
  const seconds = Math.trunc(nanosTotal / 1e9);
  return create(DurationSchema, { seconds: BigInt(seconds), nanos: nanosTotal - seconds * 1e9 });
}

/**
 * JSON text to store for request metadata (null when empty). Metadata nested deeper than
 * MAX_METADATA_DEPTH or larger than MAX_METADATA_BYTES is InvalidInputError: every reader
 * (our CLI, other languages' decoders) could not take it back.
 */
export function metadataFromProto(metadata: JsonObject | undefined, field = "metadata"): string | null {
  if (!metadata || !Object.keys(metadata).length) return null;
  const text = JSON.stringify(metadata);
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_METADATA_BYTES) {
    throw new InvalidInputError(`${field} is ${bytes} bytes as JSON; the limit is ${MAX_METADATA_BYTES / 1024} KiB`);
  }
  const depth = jsonDepth(text);
  if (depth > MAX_METADATA_DEPTH) {
    throw new InvalidInputError(`${field} is nested ${depth} levels deep; the limit is ${MAX_METADATA_DEPTH} levels`);
  }
  return text;
}

/** A Message from its record. */
// Every stored value passes a readable* guard (readable.ts): other writers may have put anything there.
export function messageToProto(record: MessageRecord): Message {
  const row = readableText(record.messageId, { row: "?", column: "message_id" });
  const at = (column: string) => ({ row, column });
  return create(MessageSchema, {
    messageId: row,
    threadId: readableText(record.threadId, at("thread_id")),
    module: readableText(record.module, at("module")),
    type: readableText(record.type, at("type")),
    status: statusToProto(record.status),
    contentLength: BigInt(readableCount(record.contentLength, at("content_length"))),
    error: readableText(record.error, at("error")),
    metadata: readableMetadata(record.metadata, at("metadata")),
    createTime: timestampFromSeconds(readableSeconds(record.createdAt, at("timestamp"))),
    updateTime: timestampFromSeconds(readableSeconds(record.updatedAt, at("updated_at"))),
    completeTime: record.completedAt === null ? undefined : timestampFromSeconds(readableSeconds(record.completedAt, at("completed_at"))),
    monitor: record.monitor
      ? create(MonitorSchema, {
          registerTime: timestampFromSeconds(record.monitor.registeredAt),
          deadlineTime: record.monitor.deadlineAt === null ? undefined : timestampFromSeconds(record.monitor.deadlineAt),
          labels: record.monitor.labels,
        })
      : undefined,
    // Content is as long as it is (read it in parts with content_from); only its type is guarded.
    content: typeof record.content === "string" ? record.content : readableText(record.content, at("content")),
  });
}

// The hub hands one record to every watcher of an event: convert it once, not per stream.
const converted = new WeakMap<EventRecord, Event>();

/** An Event from its log record (the same object for the same record). */
export function eventToProto(record: EventRecord): Event {
  let event = converted.get(record);
  if (!event) converted.set(record, (event = convertEvent(record)));
  return event;
}

function convertEvent(record: EventRecord): Event {
  const at = (column: string) => ({ row: `event ${record.seq}`, column });
  return create(EventSchema, {
    seq: BigInt(record.seq),
    messageId: readableText(record.messageId, at("message_id")),
    threadId: readableText(record.threadId, at("thread_id")),
    kind: KIND_TO_PROTO[record.kind] ?? EventKind.UNSPECIFIED,
    fromStatus: statusToProto(record.fromStatus),
    toStatus: statusToProto(record.toStatus),
    contentLength: BigInt(readableCount(record.contentLength, at("content_length"))),
    time: timestampFromSeconds(readableSeconds(record.time, at("time"))),
    detail: readableText(record.detail, at("detail")),
  });
}

/** The SNAPSHOT event that starts a watch: the message as of log position `seq`. */
export function snapshotEvent(message: MessageRecord, seq: number): Event {
  return create(EventSchema, {
    seq: BigInt(seq),
    messageId: message.messageId,
    threadId: message.threadId,
    kind: EventKind.SNAPSHOT,
    toStatus: statusToProto(message.status),
    contentLength: BigInt(message.contentLength),
    time: timestampFromMs(Date.now()),
    detail: readableText(message.error, { row: String(message.messageId), column: "error" }),
    message: messageToProto(message),
  });
}

/** A HEARTBEAT event carrying the newest seq the watcher is up to date with. */
export function heartbeatEvent(seq: number): Event {
  return create(EventSchema, { seq: BigInt(seq), kind: EventKind.HEARTBEAT, time: timestampFromMs(Date.now()) });
}

/** A Thread from its record. */
export function threadToProto(record: ThreadRecord): Thread {
  const row = readableText(record.threadId, { row: "?", column: "thread_id" });
  const at = (column: string) => ({ row: `thread ${row}`, column });
  return create(ThreadSchema, {
    threadId: row,
    title: readableText(record.title, at("title")),
    modules: record.modules.map((m) => readableText(m, at("modules"))),
    metadata: readableMetadata(record.metadata, at("metadata")),
    createTime: timestampFromSeconds(readableSeconds(record.createdAt, at("timestamp"))),
  });
}

/** A Module from its record. */
export function moduleToProto(record: ModuleRecord): Module {
  return create(ModuleSchema, {
    name: record.name,
    directory: record.directory,
    systemPrompt: record.systemPrompt,
    agentCommand: record.agentCommand,
    updateTime: timestampFromSeconds(record.updatedAt),
    model: record.agentSettings.model ?? "",
    permissionMode: record.agentSettings.permissionMode ?? "",
    allowedTools: record.agentSettings.allowedTools ?? [],
    disallowedTools: record.agentSettings.disallowedTools ?? [],
    maxTurns: record.agentSettings.maxTurns ?? 0,
    appendSystemPrompt: record.agentSettings.appendSystemPrompt ?? "",
    env: record.agentSettings.env ?? {},
  });
}

const watchResponses = new WeakMap<EventRecord, WatchMessageResponse>();
const watchManyResponses = new WeakMap<EventRecord, WatchMessagesResponse>();

/**
 * The WatchMessage response carrying a log event, built once per event and shared by all
 * its watchers (Connect passes a finished message through without copying it).
 */
export function watchResponse(record: EventRecord): WatchMessageResponse {
  let response = watchResponses.get(record);
  if (!response) watchResponses.set(record, (response = create(WatchMessageResponseSchema, { event: eventToProto(record) })));
  return response;
}

/** The same for WatchMessages. */
export function watchManyResponse(record: EventRecord): WatchMessagesResponse {
  let response = watchManyResponses.get(record);
  if (!response) {
    watchManyResponses.set(record, (response = create(WatchMessagesResponseSchema, { event: eventToProto(record) })));
  }
  return response;
}
