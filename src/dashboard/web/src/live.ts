import { fromBinary } from "@bufbuild/protobuf";
import { EventSchema, type Event } from "../../../../gen/claude_comms/v1/message_pb.js";
import { countInRate, emptyRate, type FromWorker, type Rate, type StreamState, type ToWorker } from "./protocol.js";

/** What a tab hears from the shared stream. */
export interface LiveListener {
  event?(event: Event): void;
  state?(state: StreamState, detail: string): void;
  idle?(): void;
  reset?(): void;
  /** The events-per-minute window was replaced (the worker read the log's recent past). */
  rate?(): void;
}

/**
 * The tab's end of the shared stream: joins the SharedWorker (started by the first tab,
 * shared by every later one) and hands its messages to listeners.
 */
export class Live {
  readonly rate: Rate = emptyRate();
  state: StreamState = "connecting";
  detail = "";
  private readonly listeners = new Set<LiveListener>();

  constructor() {
    const worker = new SharedWorker("/assets/worker.js", { type: "module", name: "claude-comms" });
    worker.port.onmessage = (m: MessageEvent<FromWorker>) => this.receive(m.data);
    worker.port.start();
    // A closed tab's port cannot be noticed by the worker: say goodbye.
    addEventListener("pagehide", () => worker.port.postMessage({ type: "bye" } satisfies ToWorker));
  }

  /** Adds a listener; returns the function that removes it. */
  listen(listener: LiveListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private receive(message: FromWorker): void {
    switch (message.type) {
      case "event": {
        const event = fromBinary(EventSchema, message.bytes);
        countInRate(this.rate);
        for (const l of this.listeners) l.event?.(event);
        return;
      }
      case "state":
        this.state = message.state;
        this.detail = message.detail;
        for (const l of this.listeners) l.state?.(message.state, message.detail);
        return;
      case "idle":
        for (const l of this.listeners) l.idle?.();
        return;
      case "reset":
        for (const l of this.listeners) l.reset?.();
        return;
      case "rate":
        Object.assign(this.rate, { perMinute: message.perMinute, minute: message.minute });
        for (const l of this.listeners) l.rate?.();
        return;
    }
  }
}
