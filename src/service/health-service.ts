import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import type { ServiceContext } from "./context.js";

/**
 * The standard `grpc.health.v1.Health` service. Every service of the daemon shares one
 * state: SERVING while the store takes writes, NOT_SERVING when it does not (full,
 * read-only) or while the daemon stops. "" names the whole server.
 */
export function healthService(ctx: ServiceContext, serviceNames: readonly string[]): ServiceImpl<typeof Health> {
  const known = new Set(["", ...serviceNames]);
  const current = () => (ctx.store.health.serving && !ctx.shutdown.aborted ? Status.SERVING : Status.NOT_SERVING);
  return {
    async check(req) {
      if (!known.has(req.service)) throw new ConnectError(`unknown service "${req.service}"`, Code.NotFound);
      return { status: current() };
    },

    async list() {
      const status = current();
      return { statuses: Object.fromEntries([...known].map((name) => [name, { status }])) };
    },

    async *watch(req, call) {
      let last: Status | undefined;
      for (;;) {
        const status = known.has(req.service) ? current() : Status.SERVICE_UNKNOWN;
        if (status !== last) yield { status };
        last = status;
        if (ctx.shutdown.aborted) throw new ConnectError("daemon is stopping", Code.Unavailable);
        await changed(ctx, call.signal);
      }
    },
  };
}

/** Resolves on the next health change or shutdown; rejects when the caller leaves. */
function changed(ctx: ServiceContext, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      stop();
      ctx.shutdown.removeEventListener("abort", onChange);
      signal.removeEventListener("abort", onAbort);
    };
    const onChange = () => (done(), resolve());
    const onAbort = () => (done(), reject(signal.reason));
    const stop = ctx.store.health.onChange(onChange);
    ctx.shutdown.addEventListener("abort", onChange, { once: true });
    signal.addEventListener("abort", onAbort, { once: true });
    if (signal.aborted) onAbort();
  });
}
