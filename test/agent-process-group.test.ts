import { spawn } from "node:child_process";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { groupAlive, signalGroup, startDeadline } from "../src/agent/process-group.js";

describe("startDeadline", { timeout: 5000 }, () => {
  it("fires once after the delay, never synchronously", async () => {
    let fired = 0;
    startDeadline(0, () => fired++);
    expect(fired).toBe(0);
    await sleep(20);
    expect(fired).toBe(1);
  });

  it("does not fire once cancelled", async () => {
    let fired = 0;
    const cancel = startDeadline(30, () => fired++);
    cancel();
    await sleep(60);
    expect(fired).toBe(0);
  });

  it("handles delays beyond setTimeout's 24.8-day limit without firing early", async () => {
    let fired = 0;
    const cancel = startDeadline(40 * 24 * 3600 * 1000, () => fired++);
    await sleep(30);
    cancel();
    expect(fired).toBe(0);
  });
});

describe("signalGroup", { timeout: 5000 }, () => {
  it("signals the whole group and reports when it is gone", async () => {
    const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { detached: true, stdio: "ignore" });
    const pid = child.pid!;
    expect(groupAlive(pid)).toBe(true);
    expect(signalGroup(pid, "SIGKILL")).toBe(true);
    await once(child, "exit");
    expect(groupAlive(pid)).toBe(false);
    expect(signalGroup(pid, "SIGTERM")).toBe(false);
  });
});
