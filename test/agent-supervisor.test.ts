import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runAgent } from "../src/agent/run-agent.js";
import type { AgentOutcome } from "../src/agent/outcome.js";
import { AgentSupervisor, SupervisorRejectedError, type AgentJob } from "../src/agent/supervisor.js";
import { FAKE_COMMAND, isAlive, killQuietly, makeTempDir, readPid, waitFor } from "./fixtures/agent-kit.js";

/** A job whose run waits until released (or aborted), recording what happened. */
interface Gate {
  job: AgentJob;
  started: boolean;
  signal?: AbortSignal;
  release: () => void;
}

function gatedJob(id: string, log: string[]): Gate {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const gate: Gate = {
    started: false,
    release: () => release(),
    job: {
      id,
      run: async (signal) => {
        gate.started = true;
        gate.signal = signal;
        log.push(`start ${id}`);
        const aborted = new Promise((resolve) => (signal.aborted ? resolve(undefined) : signal.addEventListener("abort", resolve)));
        await Promise.race([released, aborted]);
        log.push(`end ${id}`);
      },
    },
  };
  return gate;
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("AgentSupervisor", { timeout: 5000 }, () => {
  it("runs at most maxAgents at once and starts queued jobs in FIFO order", async () => {
    const log: string[] = [];
    const supervisor = new AgentSupervisor({ maxAgents: 2 });
    const gates = ["a", "b", "c", "d", "e"].map((id) => gatedJob(id, log));
    for (const gate of gates) supervisor.submit(gate.job);
    await tick();
    expect([supervisor.running, supervisor.queued]).toEqual([2, 3]);
    expect(log).toEqual(["start a", "start b"]);
    gates[1]!.release();
    await tick();
    expect(log).toEqual(["start a", "start b", "end b", "start c"]);
    gates[0]!.release();
    gates[2]!.release();
    await tick();
    expect(log.filter((entry) => entry.startsWith("start"))).toEqual(["start a", "start b", "start c", "start d", "start e"]);
    expect(supervisor.running).toBe(2);
    gates[3]!.release();
    gates[4]!.release();
    await waitFor(() => supervisor.running === 0, 1000, "all jobs to end");
    expect(supervisor.queued).toBe(0);
  });

  it("removes a queued job on cancel and reports it; it never runs", async () => {
    const log: string[] = [];
    const dropped: Array<[string, string]> = [];
    const supervisor = new AgentSupervisor({ maxAgents: 1, onQueuedCancel: (id, reason) => void dropped.push([id, reason]) });
    const [a, b, c] = ["a", "b", "c"].map((id) => gatedJob(id, log));
    supervisor.submit(a!.job);
    supervisor.submit(b!.job);
    supervisor.submit(c!.job);
    expect(supervisor.cancel("b", "user changed their mind")).toBe(true);
    expect(dropped).toEqual([["b", "user changed their mind"]]);
    expect(supervisor.queued).toBe(1);
    a!.release();
    c!.release();
    await waitFor(() => supervisor.running === 0, 1000, "all jobs to end");
    expect(log).toEqual(["start a", "end a", "start c", "end c"]);
    expect(b!.started).toBe(false);
  });

  it("aborts a running job's signal with the reason on cancel", async () => {
    const supervisor = new AgentSupervisor();
    const gate = gatedJob("a", []);
    supervisor.submit(gate.job);
    await tick();
    expect(supervisor.cancel("a", "stop it")).toBe(true);
    expect(gate.signal?.aborted).toBe(true);
    expect(gate.signal?.reason).toBe("stop it");
    await waitFor(() => supervisor.running === 0, 1000, "the job to end");
  });

  it("returns false when cancelling an unknown job", () => {
    expect(new AgentSupervisor().cancel("nope", "x")).toBe(false);
  });

  it("reports a failing job and carries on with the queue", async () => {
    const errors: Array<[string, unknown]> = [];
    const supervisor = new AgentSupervisor({ maxAgents: 1, onJobError: (id, error) => void errors.push([id, error]) });
    let ranNext = false;
    supervisor.submit({ id: "bad", run: () => { throw new Error("sync boom"); } });
    supervisor.submit({ id: "worse", run: async () => Promise.reject(new Error("async boom")) });
    supervisor.submit({ id: "good", run: async () => void (ranNext = true) });
    await waitFor(() => ranNext && supervisor.running === 0, 1000, "the queue to drain");
    expect(errors.map(([id, error]) => [id, (error as Error).message])).toEqual([["bad", "sync boom"], ["worse", "async boom"]]);
  });

  it("refuses a duplicate id and a submit after close", async () => {
    const supervisor = new AgentSupervisor();
    const gate = gatedJob("a", []);
    supervisor.submit(gate.job);
    expect(() => supervisor.submit(gatedJob("a", []).job)).toThrow(SupervisorRejectedError);
    await supervisor.close();
    expect(() => supervisor.submit(gatedJob("b", []).job)).toThrow("agent supervisor is closed (daemon stopping)");
  });

  it("rejects a maxAgents that is not a positive integer", () => {
    expect(() => new AgentSupervisor({ maxAgents: 0 })).toThrow(RangeError);
  });

  it("close drops the queue, aborts running jobs, waits for them, and is idempotent", async () => {
    const log: string[] = [];
    const dropped: string[] = [];
    const supervisor = new AgentSupervisor({ maxAgents: 1, onQueuedCancel: (id, reason) => void dropped.push(`${id}: ${reason}`) });
    const [a, b] = ["a", "b"].map((id) => gatedJob(id, log));
    supervisor.submit(a!.job);
    supervisor.submit(b!.job);
    await tick();
    const first = supervisor.close();
    expect(supervisor.close()).toBe(first);
    await first;
    expect(a!.signal?.reason).toBe("daemon stopping");
    expect(log).toEqual(["start a", "end a"]);
    expect(dropped).toEqual(["b: daemon stopping"]);
    expect([supervisor.running, supervisor.queued]).toEqual([0, 0]);
  });

  it("close runs every step even when a hook throws, then reports the errors", async () => {
    const supervisor = new AgentSupervisor({ maxAgents: 1, onQueuedCancel: () => { throw new Error("hook failed"); } });
    const [a, b, c] = ["a", "b", "c"].map((id) => gatedJob(id, []));
    for (const gate of [a!, b!, c!]) supervisor.submit(gate.job);
    await tick();
    await expect(supervisor.close()).rejects.toBeInstanceOf(AggregateError);
    expect(a!.signal?.aborted).toBe(true);
    expect([supervisor.running, supervisor.queued]).toEqual([0, 0]);
  });
});

describe("AgentSupervisor with real agents", () => {
  let temp: { dir: string; remove: () => void };
  const pids: number[] = [];

  beforeEach(() => {
    temp = makeTempDir();
  });

  afterEach(() => {
    killQuietly(pids);
    temp.remove();
  });

  it("close kills the running agents and their process groups", async () => {
    const outcomes = new Map<string, AgentOutcome>();
    const dropped: string[] = [];
    const job = (id: string): AgentJob => ({
      id,
      run: async (signal) => {
        outcomes.set(id, await runAgent({
          command: FAKE_COMMAND,
          question: "[hang][stubborn]",
          cwd: temp.dir,
          env: { ...process.env, FAKE_AGENT_PID_FILE: join(temp.dir, `${id}.pid`) },
          signal,
          graceMs: 300,
          onText: async () => {},
        }));
      },
    });
    const supervisor = new AgentSupervisor({ maxAgents: 2, onQueuedCancel: (id) => void dropped.push(id) });
    for (const id of ["one", "two", "three"]) supervisor.submit(job(id));
    for (const id of ["one", "two"]) {
      pids.push(await readPid(join(temp.dir, `${id}.pid`)), await readPid(join(temp.dir, `${id}.pid.child`)));
    }
    await supervisor.close();
    expect(dropped).toEqual(["three"]);
    expect([...outcomes.keys()].sort()).toEqual(["one", "two"]);
    for (const outcome of outcomes.values()) expect(outcome).toMatchObject({ status: "cancelled", error: "daemon stopping" });
    await waitFor(() => pids.every((pid) => !isAlive(pid)), 3000, "every agent process to be gone");
  }, 15_000);
});
