import * as grpc from "@grpc/grpc-js";
import { reply, runWorker, workerArgs } from "../lib/worker.js";

/*
 * Closed-loop unary load with @grpc/grpc-js: `concurrency` calls in flight on one channel,
 * each slot sending its next call as soon as the previous one answers. Requests are
 * serialized once (base64 in the arguments) and responses are counted, not decoded, so the
 * client spends its time on gRPC, not on protobuf. Sends "measuring" when the measured
 * window opens (after the warm-up) and "result" when it closes.
 */

interface Args {
  socket: string;
  /** "/package.Service/Method". */
  path: string;
  /** One serialized request per slot (base64), used round-robin. */
  requests: string[];
  concurrency: number;
  warmupMs: number;
  durationMs: number;
}

const identity = (b: Buffer): Buffer => b;

runWorker(async () => {
  const args = workerArgs<Args>();
  const requests = args.requests.map((r) => Buffer.from(r, "base64"));
  const client = new grpc.Client(`unix:${args.socket}`, grpc.credentials.createInsecure());
  let measuring = false;
  let stopping = false;
  let count = 0;
  let errors = 0;
  let firstError = "";
  const latencies: number[] = [];
  const slot = async (i: number) => {
    const request = requests[i % requests.length]!;
    while (!stopping) {
      const t0 = performance.now();
      await new Promise<void>((resolve) =>
        client.makeUnaryRequest(args.path, identity, identity, request, (err) => {
          if (err) (errors++, (firstError ||= err.message));
          else if (measuring) (count++, latencies.push(performance.now() - t0));
          resolve();
        }),
      );
    }
  };
  const slots = Array.from({ length: args.concurrency }, (_, i) => slot(i));
  await new Promise((r) => setTimeout(r, args.warmupMs));
  const cpu0 = process.cpuUsage();
  measuring = true;
  const t0 = performance.now();
  void reply({ type: "measuring" });
  await new Promise((r) => setTimeout(r, args.durationMs));
  measuring = false;
  void reply({ type: "measured" });
  const elapsed = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  stopping = true;
  await Promise.all(slots);
  client.close();
  latencies.sort((a, b) => a - b);
  await reply({
    type: "result",
    count,
    errors,
    firstError,
    perSecond: count / (elapsed / 1000),
    p50Ms: latencies[latencies.length >> 1] ?? NaN,
    p99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? NaN,
    clientCpuShare: (cpu.user + cpu.system) / 1000 / elapsed,
  });
});
