import { toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { EventKind, EventSchema } from "../../gen/claude_comms/v1/message_pb.js";
import { createApi } from "./api.js";
import { countInRate, emptyRate, type FromWorker, type StreamState, type ToWorker } from "./protocol.js";

/*
 * The SharedWorker every tab of the dashboard shares. A browser opens at most six HTTP/1.1
 * connections per host and each open stream holds one, so tabs do not each watch: this
 * worker holds one WatchMessages stream for all of them, resumes it after the last seq it
 * saw (backing off 0.5 s → 15 s between tries), and posts every event to every tab.
 */

const api = createApi();
const ports = new Set<MessagePort>();
let state: { state: StreamState; detail: string } = { state: "connecting", detail: "" };
const rate = emptyRate();

function post(message: FromWorker, to: Iterable<MessagePort> = ports): void {
  for (const port of to) port.postMessage(message);
}

function setState(next: StreamState, detail = ""): void {
  state = { state: next, detail };
  post({ type: "state", ...state });
}

async function watch(): Promise<void> {
  setState("connecting");
  let afterSeq: bigint | undefined;
  let delayMs = 500;
  for (;;) {
    try {
      for await (const { event } of api.polling.watchMessages({ afterSeq })) {
        if (!event) continue;
        afterSeq = event.seq;
        delayMs = 500;
        if (state.state !== "live") setState("live");
        if (event.kind === EventKind.HEARTBEAT) post({ type: "idle", seq: String(event.seq) });
        else (countInRate(rate), post({ type: "event", bytes: toBinary(EventSchema, event) }));
      }
    } catch (err) {
      const error = ConnectError.from(err);
      if (error.code === Code.Unauthenticated) return setState("signed-out", error.rawMessage);
      setState("reconnecting", error.rawMessage);
      // The events after our seq are gone: start from now, and let the tabs re-read.
      if (error.code === Code.OutOfRange) (afterSeq = undefined), post({ type: "reset" });
    }
    await new Promise((resolve) => setTimeout(resolve, delayMs * (0.8 + Math.random() * 0.4)));
    delayMs = Math.min(delayMs * 2, 15_000);
  }
}

(globalThis as unknown as { onconnect: (e: MessageEvent) => void }).onconnect = (e) => {
  const port = e.ports[0]!;
  ports.add(port);
  port.onmessage = (m: MessageEvent<ToWorker>) => {
    if (m.data.type === "bye") ports.delete(port);
  };
  post({ type: "state", ...state }, [port]);
  if (state.state === "signed-out") void watch(); // a new tab may come with a new session
  post({ type: "rate", ...rate, perMinute: [...rate.perMinute] }, [port]);
};

void watch();
