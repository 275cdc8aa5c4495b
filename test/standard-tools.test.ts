import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createClient } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus } from "../gen/grpc/health/v1/health_pb.js";
import { connectClients, type TestClients } from "./helpers/clients.js";
import { startDaemonProcess, type DaemonProcess } from "./helpers/daemon-process.js";
import { makeTempHome } from "./helpers/temp-home.js";

/*
 * The standard tools work unconfigured: health (grpc.health.v1) and server reflection,
 * exercised with the Go gRPC client that @bufbuild/buf ships (`buf curl`), without --schema.
 */

const run = promisify(execFile);
const BUF = fileURLToPath(new URL("../node_modules/.bin/buf", import.meta.url));

describe("health and reflection", () => {
  const temp = makeTempHome();
  let daemon: DaemonProcess;
  let c: TestClients;

  beforeAll(async () => {
    daemon = await startDaemonProcess(temp.home, ["--listen", "127.0.0.1:0"]);
    c = connectClients(daemon.socket);
  });

  afterAll(async () => {
    await daemon?.stop();
    temp.cleanup();
  });

  const curl = async (target: "unix" | "tcp", args: string[]) => {
    const where =
      target === "unix"
        ? ["--unix-socket", daemon.socket, "http://localhost"]
        : ["-H", `authorization: Bearer ${fs.readFileSync(path.join(temp.home, "token"), "utf8").trim()}`, "--reflect-header", "*", `http://${daemon.listen[1]}`];
    const [base, ...rest] = where.reverse();
    const url = args[0]?.startsWith("/") ? `${base}${args.shift()}` : base!;
    const { stdout } = await run(BUF, ["curl", "--protocol", "grpc", "--http2-prior-knowledge", ...rest.reverse(), ...args, url], { timeout: 30_000 });
    return stdout;
  };

  for (const target of ["unix", "tcp"] as const) {
    it(`lists every service and method by reflection over ${target}`, async () => {
      const methods = (await curl(target, ["--list-methods"])).trim().split("\n");
      expect(methods).toEqual(
        expect.arrayContaining([
          "claude_comms.v1.PollingService/WatchMessage",
          "claude_comms.v1.MessageService/CreateMessage",
          "claude_comms.v1.ModuleService/AskModule",
          "grpc.health.v1.Health/Check",
          "grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        ]),
      );
      const alpha = await curl(target, ["--reflect-protocol", "grpc-v1alpha", "--list-services"]);
      expect(alpha).toContain("claude_comms.v1.PollingService");
    });

    it(`calls methods without --schema over ${target}`, async () => {
      const id = `buf-${target}`;
      const created = JSON.parse(await curl(target, ["/claude_comms.v1.MessageService/CreateMessage", "-d", JSON.stringify({ threadId: "t", messageId: id })]));
      expect(created.message).toMatchObject({ messageId: id, status: "MESSAGE_STATUS_PENDING" });
      const shown = JSON.parse(await curl(target, ["/claude_comms.v1.PollingService/ShowMessage", "-d", JSON.stringify({ messageId: id })]));
      expect(shown.history[0]).toMatchObject({ kind: "EVENT_KIND_CREATED", toStatus: "MESSAGE_STATUS_PENDING" });
      const health = JSON.parse(await curl(target, ["/grpc.health.v1.Health/Check", "-d", "{}"]));
      expect(health).toEqual({ status: "SERVING" });
    });
  }

  it("answers health per service, NOT_FOUND for unknown ones, and SERVICE_UNKNOWN on watch", async () => {
    const health = createClient(Health, c.transport);
    expect((await health.check({ service: "claude_comms.v1.PollingService" })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    await expect(health.check({ service: "nope.Service" })).rejects.toMatchObject({ code: 5 });
    const listed = await health.list({});
    expect(Object.keys(listed.statuses)).toEqual(expect.arrayContaining(["", "claude_comms.v1.ModuleService"]));
    const controller = new AbortController();
    const watch = health.watch({ service: "nope.Service" }, { signal: controller.signal })[Symbol.asyncIterator]();
    expect((await watch.next()).value?.status).toBe(HealthCheckResponse_ServingStatus.SERVICE_UNKNOWN);
    controller.abort();
  });

  it("a health watch reports NOT_SERVING then ends UNAVAILABLE when the daemon stops", async () => {
    const other = makeTempHome();
    const d = await startDaemonProcess(other.home);
    const health = createClient(Health, connectClients(d.socket).transport);
    const seen: number[] = [];
    let error: unknown;
    const watching = (async () => {
      try {
        for await (const res of health.watch({ service: "" })) seen.push(res.status);
      } catch (err) {
        error = err;
      }
    })();
    await new Promise((r) => setTimeout(r, 200));
    await d.stop();
    await watching;
    expect(seen).toEqual([HealthCheckResponse_ServingStatus.SERVING, HealthCheckResponse_ServingStatus.NOT_SERVING]);
    expect(error).toMatchObject({ code: 14 });
    other.cleanup();
  });
});
