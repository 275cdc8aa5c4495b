import { Code, type ConnectError, type Interceptor } from "@connectrpc/connect";
import { toConnectError } from "../service/errors.js";
import type { Logger } from "./logger.js";

/** Unary calls in progress, so a graceful stop can let them finish. */
export class InFlight {
  count = 0;
  private idle: Array<() => void> = [];

  /** Marks the end of a call. */
  done(): void {
    this.count--;
    if (this.count === 0) for (const resolve of this.idle.splice(0)) resolve();
  }

  /** Resolves when no call is in progress, or after `timeoutMs`. */
  async drained(timeoutMs: number): Promise<void> {
    if (this.count === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.idle.push(() => (clearTimeout(timer), resolve()));
    });
  }
}

/**
 * Maps every error a handler throws (unary, or while streaming) to its code with
 * toConnectError, logs the unexpected ones with their original cause, and counts unary
 * calls in flight.
 */
export function errorInterceptor(log: Logger, inflight: InFlight): Interceptor {
  const map = (err: unknown, procedure: string, signal: AbortSignal) => reportError(log, err, procedure, signal);
  return (next) => async (req) => {
    const procedure = req.method.name;
    const unary = req.method.methodKind === "unary";
    if (unary) inflight.count++;
    try {
      const res = await next(req);
      if (!res.stream) return res;
      return { ...res, message: mapStream(res.message, (err) => map(err, procedure, req.signal)) };
    } catch (err) {
      throw map(err, procedure, req.signal);
    } finally {
      if (unary) inflight.done();
    }
  };
}

// How a request's stream fails when its client resets it or hangs up mid-request.
const CLIENT_GONE = new Set(["ERR_STREAM_PREMATURE_CLOSE", "ERR_HTTP2_STREAM_ERROR", "ERR_HTTP2_INVALID_STREAM", "ERR_STREAM_DESTROYED", "ECONNRESET", "EPIPE"]);

/**
 * True when a call failed because its client left (a stream reset with whatever code it chose,
 * a socket destroyed, a body cut short): the client's doing, not a daemon error.
 */
function clientLeft(err: unknown, signal: AbortSignal): boolean {
  if (signal.aborted && err === signal.reason) return true;
  let e = err as { code?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 8; e = e.cause as typeof e, depth++) {
    if (typeof e.code === "string" && CLIENT_GONE.has(e.code)) return true;
  }
  return false;
}

/**
 * Maps an error to the ConnectError a client sees (toConnectError) and logs it: the
 * unexpected ones at error level with their original cause, refusals at debug. Shared by the
 * interceptor and the gRPC watch fast path.
 */
export function reportError(log: Logger, err: unknown, procedure: string, signal: AbortSignal): ConnectError {
  const mapped = toConnectError(err);
  // The client resetting its stream (with whatever code it chose) is its leaving, not our failure.
  if (clientLeft(err, signal)) log.debug("client left", { procedure, error: (err as Error)?.message });
  else if (mapped.code === Code.Internal) log.error("request failed", { procedure, err });
  else log.debug("request refused", { procedure, code: Code[mapped.code], error: mapped.rawMessage });
  return mapped;
}

/**
 * The stream with its errors mapped. A plain iterator, not an async generator: it sits on
 * the path of every event to every watcher, and a generator layer costs measurably there.
 */
function mapStream<T>(stream: AsyncIterable<T>, map: (err: unknown) => Error): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const it = stream[Symbol.asyncIterator]();
      const fail = (err: unknown): never => {
        throw map(err);
      };
      return {
        next: () => it.next().catch(fail),
        return: (value?: unknown) =>
          it.return ? it.return(value).catch(fail) : Promise.resolve({ done: true as const, value: value as T }),
        throw: (err?: unknown) => (it.throw ? it.throw(err).catch(fail) : Promise.reject(map(err))),
      };
    },
  };
}
