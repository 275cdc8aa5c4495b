import fs from "node:fs";
import path from "node:path";
import { create, toBinary, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { AppendContentRequestSchema } from "../gen/claude_comms/v1/message_service_pb.js";
import { ShowMessageRequestSchema, ShowMessageResponseSchema } from "../gen/claude_comms/v1/polling_service_pb.js";
import { tempDir } from "./lib/cleanup.js";
import { connectClients } from "./lib/clients.js";
import { cpuMeter } from "./lib/cpu.js";
import { atLeastRatio, type Figure } from "./lib/figure.js";
import { size, type BenchOptions } from "./lib/options.js";
import { messageId } from "./lib/seed.js";
import { seededDaemon, startBareServer } from "./lib/servers.js";
import { median, round } from "./lib/stats.js";
import { startWorker } from "./lib/worker.js";

/*
 * Targets 6 and 7: unary req/s with 50 calls in flight from a @grpc/grpc-js client process,
 * ShowMessage and AppendContent on the daemon against the same RPCs on the bare server
 * (constant responses; its ShowMessage answer is the daemon's own, byte for byte). Phases
 * alternate daemon/bare; each figure is the ratio of the medians. The server's CPU time per
 * request in the measured window is kept too (a ratio that other load on the machine
 * disturbs far less than wall-clock rates).
 *
 * Each AppendContent phase appends to 50 messages of its own (100 bytes when it starts, about
 * 10–25 KB each when it ends): an append rewrites the message's row, so its cost grows with
 * the content, and reusing the messages would make the figure depend on how many rounds
 * ran before. store-write.ts measures that growth separately.
 */

const CONCURRENCY = 50;
const SHOW_PATH = "/claude_comms.v1.PollingService/ShowMessage";
const APPEND_PATH = "/claude_comms.v1.MessageService/AppendContent";
const TEXT = "a line of streamed answer text, about 64 bytes long......\n";

type Target = "daemon" | "bare";
type Method = "show" | "append";

function serialized<D extends DescMessage>(schema: D, inits: Array<MessageInitShape<D>>): string[] {
  return inits.map((init) => Buffer.from(toBinary(schema, create(schema, init))).toString("base64"));
}

/** The load of each method in round `round`: messages 0–49 are shown, a fresh block of 50 from 50 on appended to. */
function loads(round: number): Record<Method, { path: string; requests: string[] }> {
  const slots = Array.from({ length: CONCURRENCY }, (_, i) => i);
  const appendTo = (i: number) => messageId(CONCURRENCY * (1 + round) + i);
  return {
    show: { path: SHOW_PATH, requests: serialized(ShowMessageRequestSchema, slots.map((i) => ({ messageId: messageId(i) }))) },
    append: {
      path: APPEND_PATH,
      requests: serialized(AppendContentRequestSchema, slots.map((i) => ({ messageId: appendTo(i), content: TEXT }))),
    },
  };
}

interface Phase {
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  serverCpuShare: number;
  serverCpuMsPerReq: number;
  clientCpuShare: number;
}

/** One load phase against one server, with the server's CPU time over the measured window. */
async function runPhase(
  server: { pid: number; socket: string },
  load: { path: string; requests: string[] },
  warmupMs: number,
  durationMs: number,
): Promise<Phase> {
  const client = startWorker("clients/grpcjs-load.js", { socket: server.socket, ...load, concurrency: CONCURRENCY, warmupMs, durationMs });
  try {
    await client.next("measuring", 30_000);
    const meter = cpuMeter(server.pid);
    await client.next("measured", durationMs + 30_000);
    const cpu = meter();
    type Result = { type: string; count: number; perSecond: number; p50Ms: number; p99Ms: number; clientCpuShare: number };
    const result = await client.next<Result & { errors: number; firstError: string }>("result", 30_000);
    if (result.errors) throw new Error(`${load.path}: ${result.errors} errors, first: ${result.firstError}`);
    return {
      perSecond: Math.round(result.perSecond),
      p50Ms: round(result.p50Ms, 2),
      p99Ms: round(result.p99Ms, 2),
      serverCpuShare: cpu.share,
      serverCpuMsPerReq: round(cpu.cpuMs / result.count, 3),
      clientCpuShare: round(result.clientCpuShare, 2),
    };
  } finally {
    await client.stop();
  }
}

/** Runs targets 6 and 7. */
export async function unaryThroughput(options: BenchOptions): Promise<Figure[]> {
  const rounds = size(options, 1, 4);
  const durationMs = size(options, 3000, 8000);
  const messages = CONCURRENCY * (1 + rounds);
  const daemon = await seededDaemon({ messages, monitored: messages });
  const showFile = path.join(tempDir(), "show-response.bin");
  const shown = await connectClients(daemon.socket).polling.showMessage({ messageId: messageId(0) });
  fs.writeFileSync(showFile, toBinary(ShowMessageResponseSchema, shown));
  const bare = await startBareServer({ showResponseFile: showFile });
  const results: Record<Method, Record<Target, Phase[]>> = { show: { daemon: [], bare: [] }, append: { daemon: [], bare: [] } };
  try {
    for (let r = 0; r < rounds; r++) {
      const load = loads(r);
      for (const method of ["show", "append"] as const) {
        for (const target of ["bare", "daemon"] as const) {
          const phase = await runPhase(target === "daemon" ? daemon : bare, load[method], size(options, 500, 1500), durationMs);
          results[method][target].push(phase);
          options.log(`${method} ${target}: ${phase.perSecond} req/s, server ${phase.serverCpuMsPerReq} cpu-ms/req (share ${phase.serverCpuShare}), client cpu ${phase.clientCpuShare}`);
        }
      }
    }
  } finally {
    await daemon.stop();
    await bare.worker.stop();
  }
  return figures(results, durationMs);
}

function figures(results: Record<Method, Record<Target, Phase[]>>, durationMs: number): Figure[] {
  const rate = (m: Method, t: Target) => median(results[m][t].map((p) => p.perSecond));
  const cpuRatio = (m: Method) =>
    round(median(results[m].bare.map((p) => p.serverCpuMsPerReq)) / median(results[m].daemon.map((p) => p.serverCpuMsPerReq)), 3);
  const common = {
    concurrency: CONCURRENCY,
    client: "@grpc/grpc-js, separate process, one channel",
    listener: "Unix socket",
    phaseMs: durationMs,
    cpuRatioMeaning: "bare server CPU per request / daemon CPU per request",
  };
  const baseline = "trivial handler, same stack";
  return [
    atLeastRatio(6, "unary_show_message", rate("show", "daemon"), "req/s", rate("show", "bare"), baseline, 0.8, "≥ 80% of trivial handler", {
      ...common,
      cpuRatio: cpuRatio("show"),
      phases: results.show,
    }),
    atLeastRatio(7, "unary_append_content", rate("append", "daemon"), "req/s", rate("append", "bare"), baseline, 0.7, "≥ 70% of trivial handler", {
      ...common,
      cpuRatio: cpuRatio("append"),
      phases: results.append,
    }),
  ];
}
