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
import { InvalidInputError } from "../shared/errors.js";
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
  return status ? STATUS_TO_PROTO[status] : MessageStatus.UNSPECIFIED;
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

/** Stored metadata text as a JSON object: a non-object value is wrapped as {"value": …}. */
export function metadataToProto(text: string | null): JsonObject | undefined {
  if (!text) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === "object" && !Array.isArray(value)) return value as JsonObject;
    return { value: value as JsonObject[string] };
  } catch {
    return { value: text };
  }
}

/** JSON text to store for request metadata (null when empty). */
export function metadataFromProto(metadata: JsonObject | undefined): string | null {
  return metadata && Object.keys(metadata).length ? JSON.stringify(metadata) : null;
}

/** A Message from its record. */
export function messageToProto(record: MessageRecord): Message {
  return create(MessageSchema, {
    messageId: record.messageId,
    threadId: record.threadId,
    module: record.module,
    type: record.type,
    status: statusToProto(record.status),
    contentLength: BigInt(record.contentLength),
    error: record.error,
    metadata: metadataToProto(record.metadata),
    createTime: timestampFromSeconds(record.createdAt),
    updateTime: timestampFromSeconds(record.updatedAt),
    completeTime: record.completedAt === null ? undefined : timestampFromSeconds(record.completedAt),
    monitor: record.monitor
      ? create(MonitorSchema, {
          registerTime: timestampFromSeconds(record.monitor.registeredAt),
          deadlineTime: record.monitor.deadlineAt === null ? undefined : timestampFromSeconds(record.monitor.deadlineAt),
          labels: record.monitor.labels,
        })
      : undefined,
    content: record.content ?? "",
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
  return create(EventSchema, {
    seq: BigInt(record.seq),
    messageId: record.messageId,
    threadId: record.threadId,
    kind: KIND_TO_PROTO[record.kind] ?? EventKind.UNSPECIFIED,
    fromStatus: statusToProto(record.fromStatus),
    toStatus: statusToProto(record.toStatus),
    contentLength: BigInt(record.contentLength),
    time: timestampFromSeconds(record.time),
    detail: record.detail,
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
    detail: message.error,
    message: messageToProto(message),
  });
}

/** A HEARTBEAT event carrying the newest seq the watcher is up to date with. */
export function heartbeatEvent(seq: number): Event {
  return create(EventSchema, { seq: BigInt(seq), kind: EventKind.HEARTBEAT, time: timestampFromMs(Date.now()) });
}

/** A Thread from its record. */
export function threadToProto(record: ThreadRecord): Thread {
  return create(ThreadSchema, {
    threadId: record.threadId,
    title: record.title,
    modules: record.modules,
    metadata: metadataToProto(record.metadata),
    createTime: timestampFromSeconds(record.createdAt),
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
