import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDaemonProcess, type DaemonProcess } from "./helpers/daemon-process.js";
import { requireTool } from "./helpers/require-tool.js";
import { runProgram } from "./helpers/run.js";
import { makeTempHome } from "./helpers/temp-home.js";

/*
 * The whole flow (create, add, show, watch or wait to COMPLETE) with tools that know nothing
 * of claude-comms: `buf curl` (gRPC, schemas from server reflection, server streaming) and
 * plain `curl` speaking the Connect protocol with JSON, over TCP and the Unix socket.
 */

const BUF = fileURLToPath(new URL("../node_modules/.bin/buf", import.meta.url));
type Target = "unix" | "tcp";

describe("standard clients run the whole flow", () => {
  const temp = makeTempHome("cc-oc-");
  let daemon: DaemonProcess;

  beforeAll(async () => {
    daemon = await startDaemonProcess(temp.home, ["--listen", "127.0.0.1:0", "--interval", "0.1"]);
  });

  afterAll(async () => {
    await daemon?.stop();
    temp.cleanup();
  });

  /** The header carrying the token the daemon generated into its home (TCP needs it). */
  const bearer = () => `authorization: Bearer ${fs.readFileSync(path.join(temp.home, "token"), "utf8").trim()}`;

  /** `buf curl` arguments for a method on a target. */
  const bufArgs = (target: Target, method: string, body: unknown) => [
    "curl", "--protocol", "grpc", "--http2-prior-knowledge",
    ...(target === "unix" ? ["--unix-socket", daemon.socket] : ["-H", bearer(), "--reflect-header", "*"]),
    "-d", JSON.stringify(body),
    `http://${target === "unix" ? "localhost" : daemon.listen[1]}/claude_comms.v1.${method}`,
  ];

  const bufCurl = async (target: Target, method: string, body: unknown) => {
    const res = await runProgram(BUF, bufArgs(target, method, body));
    if (res.code !== 0) throw new Error(`buf curl ${method} failed: ${res.stderr}`);
    return JSON.parse(res.stdout);
  };

  /** Starts a streaming `buf curl`; resolves with every response once the stream ends. */
  const bufStream = (target: Target, method: string, body: unknown) => {
    const child = spawn(BUF, bufArgs(target, method, body), { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    const done = new Promise<Array<Record<string, any>>>((resolve, reject) =>
      child.once("close", (code) => {
        clearTimeout(timer);
        if (code !== 0) return reject(new Error(`buf curl ${method} exited ${code}: ${stderr}`));
        // buf curl prints each response as indented JSON, one after the other.
        resolve(stdout.trim().split(/\n(?=\{)/).map((text) => JSON.parse(text)));
      }),
    );
    return { done, received: () => stdout };
  };

  for (const target of ["unix", "tcp"] as const) {
    it(`buf curl: creates, adds, shows and watches a message to COMPLETE over ${target}`, async () => {
      const id = `buf-flow-${target}`;
      await bufCurl(target, "MessageService/CreateMessage", { threadId: "buf", messageId: id });
      const added = await bufCurl(target, "PollingService/AddMessage", { messageId: id, timeout: "60s" });
      expect(added).toMatchObject({ created: true, message: { messageId: id, monitor: { deadlineTime: expect.any(String) } } });
      const shown = await bufCurl(target, "PollingService/ShowMessage", { messageId: id });
      expect(shown.history.map((e: { kind: string }) => e.kind)).toEqual(["EVENT_KIND_CREATED", "EVENT_KIND_REGISTERED"]);

      const watch = bufStream(target, "PollingService/WatchMessage", { messageId: id });
      await until(() => watch.received().includes("EVENT_KIND_SNAPSHOT"));
      await bufCurl(target, "MessageService/SetStatus", { messageId: id, status: "MESSAGE_STATUS_PROCESSING" });
      await bufCurl(target, "MessageService/AppendContent", { messageId: id, content: "answer" });
      await bufCurl(target, "MessageService/SetStatus", { messageId: id, status: "MESSAGE_STATUS_COMPLETE" });
      const events = (await watch.done).map((r) => r.event).filter((e) => e.kind !== "EVENT_KIND_HEARTBEAT");
      expect(events[0]).toMatchObject({ kind: "EVENT_KIND_SNAPSHOT", toStatus: "MESSAGE_STATUS_PENDING" });
      expect(events[1]).toMatchObject({ kind: "EVENT_KIND_STATUS_CHANGED", toStatus: "MESSAGE_STATUS_PROCESSING" });
      expect(events.at(-1)).toMatchObject({ kind: "EVENT_KIND_STATUS_CHANGED", fromStatus: "MESSAGE_STATUS_PROCESSING", toStatus: "MESSAGE_STATUS_COMPLETE" });
    });

    it(`curl (Connect protocol, JSON): creates, adds, shows and waits for a message over ${target}`, async () => {
      const id = `curl-flow-${target}`;
      const post = async (method: string, body: unknown) => {
        const where = target === "unix" ? ["--unix-socket", daemon.socket, "http://localhost"] : ["-H", bearer(), `http://${daemon.listen[1]}`];
        const url = `${where.pop()}/claude_comms.v1.${method}`;
        const args = ["-sS", "--http2-prior-knowledge", ...where, "-H", "content-type: application/json", "-d", JSON.stringify(body), "-w", "\n%{http_code}", url];
        const res = await runProgram(requireTool("curl", "curl"), args);
        const [json, status] = res.stdout.trim().split(/\n(?=\d+$)/);
        return { status: Number(status), body: JSON.parse(json!) };
      };
      expect((await post("MessageService/CreateMessage", { threadId: "curl", messageId: id })).status).toBe(200);
      expect(await post("PollingService/AddMessage", { messageId: id, timeout: "60s" })).toMatchObject({ status: 200, body: { created: true } });
      const shown = await post("PollingService/ShowMessage", { messageId: id });
      expect(shown.body.message).toMatchObject({ messageId: id, status: "MESSAGE_STATUS_PENDING" });

      const waiting = post("PollingService/WaitMessage", { messageId: id, timeout: "15s" });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await post("MessageService/SetStatus", { messageId: id, status: "MESSAGE_STATUS_COMPLETE" });
      expect(await waiting).toMatchObject({ status: 200, body: { finished: true, message: { status: "MESSAGE_STATUS_COMPLETE" } } });

      expect(await post("PollingService/ShowMessage", { messageId: "no-such-message" })).toEqual({
        status: 404,
        body: { code: "not_found", message: 'message "no-such-message" not found' },
      });
    });
  }
});

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
