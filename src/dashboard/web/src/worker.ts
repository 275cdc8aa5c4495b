import { toBinary } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { EventKind, EventSchema } from "../../../../gen/claude_comms/v1/message_pb.js";
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
// Events of the log's recent past read at start, for the chart alone.
const HISTORY_EVENTS = 5000n;

function post(message: FromWorker, to: Iterable<MessagePort> = ports): void {
  for (const port of to) port.postMessage(message);
}

function setState(next: StreamState, detail = ""): void {
  state = { state: next, detail };
  post({ type: "state", ...state });
}

async function watch(): Promise<void> {
  setState("connecting");
  // The stream starts a little in the past, so the events-per-minute chart has a history;
  // events up to the head seen at start are only counted, never sent to the tabs as news.
  let history: bigint | undefined;
  let afterSeq: bigint | undefined;
  let delayMs = 500;
  for (;;) {
    try {
      // The daemon answering is what "live" means: a resumed stream with nothing new to
      // replay sends nothing until its first heartbeat.
      const { headSeq } = await api.polling.getDaemonStatus({});
      if (history === undefined) (history = headSeq), (afterSeq = headSeq > HISTORY_EVENTS ? headSeq - HISTORY_EVENTS : 0n);
      setState("live");
      for await (const { event } of api.polling.watchMessages({ afterSeq })) {
        if (!event) continue;
        afterSeq = event.seq;
        delayMs = 500;
        if (event.kind === EventKind.HEARTBEAT) post({ type: "idle", seq: String(event.seq) });
        else if (event.seq <= history!) {
          countInRate(rate, 1, event.time ? timestampMs(event.time) : Date.now());
          if (event.seq === history) post({ type: "rate", ...rate, perMinute: [...rate.perMinute] }); // the past is read
        }
        else (countInRate(rate), post({ type: "event", bytes: toBinary(EventSchema, event) }));
      }
    } catch (err) {
      const error = ConnectError.from(err);
      if (error.code === Code.Unauthenticated) return setState("signed-out", error.rawMessage);
      setState("reconnecting", error.rawMessage);
      // The events after our seq are gone (compacted): go on from now, and unless only the
      // chart's past was lost, let the tabs re-read what they show.
      if (error.code === Code.OutOfRange) {
        if (history !== undefined && afterSeq !== undefined && afterSeq > history) post({ type: "reset" });
        afterSeq = undefined;
      }
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
