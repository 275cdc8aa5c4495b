// No agent outlives its daemon: the watchdog each run has ends the agent's group when the
// daemon dies (kill -9), and a restarted daemon ends a group whose watchdog died too,
// checking the process start time so a process that reused the pid is never touched.
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MessageStatus } from "../gen/claude_comms/v1/message_pb.js";
import { FAKE_AGENT, isAlive, killQuietly, readPid, waitFor } from "./fixtures/agent-kit.js";
import { connectClients } from "./helpers/clients.js";
import { until } from "./helpers/collect.js";
import { startDaemonProcess, type DaemonProcess } from "./helpers/daemon-process.js";
import { moduleClient } from "./helpers/module-clients.js";
import { childrenOf, groupMembers } from "./helpers/process-tree.js";
import { makeTempHome } from "./helpers/temp-home.js";
import { storeArgsFor } from "./helpers/test-store.js";
import { openStore } from "../src/store/open-store.js";

const agentArgs = ["--agent-command", `${process.execPath} ${FAKE_AGENT}`, "--interval", "0.1"];

describe("agents and a daemon that dies", { timeout: 30_000 }, () => {
  const temp = makeTempHome();
  const leftovers: number[] = [];
  let daemon: DaemonProcess | undefined;

  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
    killQuietly(leftovers.map((pid) => -pid));
  });

  /** A daemon with a module, an ask of `[hang]` running, and its agent's pid. */
  async function hangingAsk() {
    const env = { FAKE_AGENT_PID_FILE: path.join(temp.home, `agent-${Date.now()}.pid`) };
    daemon = await startDaemonProcess(temp.home, agentArgs, env);
    const c = connectClients(daemon.socket);
    await moduleClient(c).registerModule({ module: { name: "m", directory: temp.home } });
    const ids = await moduleClient(c).askModule({ fromModule: "a", toModule: "m", question: "[hang]" });
    const pid = await readPid(env.FAKE_AGENT_PID_FILE);
    const child = await readPid(`${env.FAKE_AGENT_PID_FILE}.child`);
    leftovers.push(pid);
    await until(async () => (await c.polling.showMessage({ messageId: ids.responseMessageId })).message?.status === MessageStatus.PROCESSING);
    return { ids, pid, child, env };
  }

  it("the watchdog ends an agent that ignores its pipes within 5 s of a kill -9 of the daemon", async () => {
    const { pid, child } = await hangingAsk();
    const watchdog = childrenOf(daemon!.pid).find((p) => p.cmdline.includes("watchdog"));
    expect(watchdog?.cmdline).toContain(`watchdog ${pid}`);
    await daemon!.kill();
    daemon = undefined;
    const killedAt = performance.now();
    await waitFor(() => groupMembers(pid).length === 0, 5000, "the agent's group to be gone");
    expect(performance.now() - killedAt).toBeLessThan(5000);
    expect(isAlive(child)).toBe(false);
  });

  it("a restarted daemon ends a group it finds recorded and alive (the watchdog killed too)", async () => {
    const { ids, pid, child, env } = await hangingAsk();
    const watchdog = childrenOf(daemon!.pid).find((p) => p.cmdline.includes(`watchdog ${pid}`));
    process.kill(watchdog!.pid, "SIGKILL");
    await daemon!.kill();
    await new Promise((r) => setTimeout(r, 300));
    expect(isAlive(pid)).toBe(true);
    daemon = await startDaemonProcess(temp.home, agentArgs, env);
    await waitFor(() => groupMembers(pid).length === 0, 5000, "the orphaned group to be ended");
    expect(isAlive(child)).toBe(false);
    const { message } = await connectClients(daemon.socket).polling.showMessage({ messageId: ids.responseMessageId });
    expect(message?.status).toBe(MessageStatus.FAILED);
    expect(await daemonLog(temp.home)).toContain("ended agents an earlier daemon left running");
  });

  it("never signals a process that reused a recorded pid (its start time differs)", async () => {
    daemon = await startDaemonProcess(temp.home, agentArgs);
    await daemon.stop();
    daemon = undefined;
    // A live process in its own group, recorded as an agent of a dead daemon with another start time.
    const bystander = spawn("sleep", ["30"], { detached: true, stdio: "ignore" });
    leftovers.push(bystander.pid!);
    const store = await openStore({ url: (await storeArgsFor(temp.home))[1] ?? `sqlite:${path.join(temp.home, "comms.db")}` });
    await store.write(async (trx) => {
      await trx("daemons").insert({ daemon_id: "gone", pid: 999_999, host: os.hostname(), started_at: 0, lease_until: 0 });
      await trx("agent_runs").insert({ message_id: "x", module: "m", daemon_id: "gone", agent_pid: bystander.pid, agent_start: "1", host: os.hostname(), started_at: 0 });
    });
    await store.close();
    daemon = await startDaemonProcess(temp.home, agentArgs);
    await new Promise((r) => setTimeout(r, 500));
    expect(isAlive(bystander.pid!)).toBe(true);
  });
});

function daemonLog(home: string): Promise<string> {
  return readFile(path.join(home, "daemon.log"), "utf8");
}
