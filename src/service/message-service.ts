import { randomUUID } from "node:crypto";
import type { ServiceImpl } from "@connectrpc/connect";
import { MessageStatus } from "../../gen/claude_comms/v1/message_pb.js";
import type { MessageService } from "../../gen/claude_comms/v1/message_service_pb.js";
import { setStatusReturning } from "../store/hot-writes.js";
import { appendContent, getMessage, insertMessage } from "../store/messages.js";
import { getThread, insertThread, threadMessages } from "../store/threads.js";
import type { ServiceContext } from "./context.js";
import { messageToProto, metadataFromProto, statusFromProto, threadToProto } from "./convert.js";
import { optionalId, requireId } from "./validate.js";

/** The MessageService handlers (writers): validate → store → convert (the store wakes the poller). */
export function messageService(ctx: ServiceContext): ServiceImpl<typeof MessageService> {
  const { store } = ctx;
  return {
    async createThread(req) {
      const threadId = optionalId(req.threadId, "thread_id") || randomUUID();
      const modules = req.modules.map((m) => requireId(m, "modules[]"));
      const input = { threadId, title: req.title, modules, metadata: metadataFromProto(req.metadata) };
      await store.write((trx) => insertThread(trx, input));
      return { thread: threadToProto(await getThread(store.reader, threadId)) };
    },

    async getThread(req) {
      const threadId = requireId(req.threadId, "thread_id");
      return store.reader.snapshot(async (reader) => ({
        thread: threadToProto(await getThread(reader, threadId)),
        messages: (await threadMessages(reader, threadId, req.includeContent)).map(messageToProto),
      }));
    },

    async createMessage(req) {
      const input = {
        threadId: requireId(req.threadId, "thread_id"),
        messageId: optionalId(req.messageId, "message_id") || randomUUID(),
        module: optionalId(req.module, "module"),
        type: optionalId(req.type, "type"),
        content: req.content,
        status: req.status === MessageStatus.UNSPECIFIED ? "pending" : statusFromProto(req.status),
        metadata: metadataFromProto(req.metadata),
      } as const;
      await store.write((trx) => insertMessage(trx, input));
      return { message: messageToProto(await getMessage(store.reader, input.messageId)) };
    },

    async appendContent(req) {
      const messageId = requireId(req.messageId, "message_id");
      const length = await appendContent(store, messageId, req.content, ctx.maxContentBytes);
      return { contentLength: BigInt(length) };
    },

    async setStatus(req) {
      const messageId = requireId(req.messageId, "message_id");
      const status = statusFromProto(req.status);
      return { message: messageToProto(await setStatusReturning(store, messageId, status, req.error)) };
    },
  };
}
