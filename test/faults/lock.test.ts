// The home's lock is one the kernel holds (README "Reliability", row 10): a restart right after kill -9
// always succeeds, a zombie holder does not block, a second daemon in one process is refused
// and its stop leaves the first one's socket. Prints one line of figures.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startDaemon } from "../../src/index.js";
import { connectClients } from "../helpers/clients.js";
import { DAEMON_MAIN, killLeftoverDaemons, startDaemonProcess, type DaemonProcess } from "../helpers/daemon-process.js";
import { makeTempHome } from "../helpers/temp-home.js";
import { figures, sleep } from "./lib/kit.js";

const RESTARTS = 12;

/** The state letter of /proc/PID/stat ("Z" for a zombie), or undefined once it is gone. */
function processState(pid: number): string | undefined {
  try {
    return /\) (\S) /.exec(fs.readFileSync(`/proc/${pid}/stat`, "utf8"))?.[1];
  } catch {
    return undefined;
  }
}

describe("the home's lock", () => {
  const temp = makeTempHome("ccf-lk-");
  afterAll(() => {
    killLeftoverDaemons();
    temp.cleanup();
  });

  it("lets a daemon start right after kill -9, every time, and keeps answering", async () => {
    const home = path.join(temp.home, "restarts");
    let daemon: DaemonProcess = await startDaemonProcess(home, ["--interval", "0.1"]);
    let failures = 0;
    const startMs: number[] = [];
    for (let i = 0; i < RESTARTS; i++) {
      await connectClients(daemon.socket).messages.createMessage({ threadId: "r", messageId: `r-${i}` });
      daemon.child.kill("SIGKILL"); // no wait for the exit: the next start races the teardown
      const started = performance.now();
      try {
        daemon = await startDaemonProcess(home, ["--interval", "0.1"]);
      } catch (err) {
        failures++;
        expect.soft(String(err)).toBe("no failure");
        daemon = await startDaemonProcess(home, ["--interval", "0.1"]);
      }
      startMs.push(Math.round(performance.now() - started));
    }
    const list = await connectClients(daemon.socket).polling.listMessages({ all: true, pageSize: 100 });
    await daemon.stop();
    figures("lock-restarts", { restarts: RESTARTS, failures, maxStartMs: Math.max(...startMs), messages: list.messages.length });
    expect(failures).toBe(0);
    expect(list.messages.length).toBe(RESTARTS);
  }, 120_000);

  it("is free once its holder is a zombie (killed, never reaped)", async () => {
    const home = path.join(temp.home, "zombie");
    fs.mkdirSync(home, { mode: 0o700 });
    // The daemon's parent execs into sleep, which never reaps it: a kill -9 leaves a zombie.
    const parent = spawn("/bin/sh", ["-c", `"$0" "$1" --home "$2" --log-file "$2/daemon.log" & echo "child $!"; exec sleep 60`, process.execPath, DAEMON_MAIN, home], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    parent.stdout!.on("data", (d) => (out += d));
    try {
      for (let i = 0; i < 300 && !out.includes('"ready"'); i++) await sleep(50);
      const pid = Number(/child (\d+)/.exec(out)?.[1]);
      expect(out).toContain('"ready"');
      process.kill(pid, "SIGKILL");
      for (let i = 0; i < 100 && processState(pid) !== "Z"; i++) await sleep(20);
      const state = processState(pid);
      const second = await startDaemonProcess(home);
      const answered = await connectClients(second.socket).polling.getDaemonStatus({});
      await second.stop();
      figures("lock-zombie", { holderState: state, secondStarted: true, secondPid: answered.pid });
      expect(state).toBe("Z");
    } finally {
      parent.kill("SIGKILL");
    }
  }, 60_000);

  it("refuses a second daemon on one home in the same process, whose failure leaves the first one's socket", async () => {
    const home = path.join(temp.home, "same");
    const first = await startDaemon({ home, interval: 0.1 });
    try {
      const refused = await startDaemon({ home, interval: 0.1 }).then(
        async (second) => (await second.stop(), "started"),
        (err: Error) => err.message,
      );
      const socket = path.join(home, "daemon.sock");
      const still = await first.polling.getDaemonStatus({});
      figures("lock-same-process", { second: refused.startsWith("a daemon") ? "refused" : refused, socketKept: fs.existsSync(socket) });
      expect(refused).toBe(`a daemon is already running in this process (pid ${process.pid}) at ${socket}; stop it with: claude-comms poll stop`);
      expect(fs.existsSync(socket)).toBe(true);
      expect(still.pid).toBe(process.pid);
    } finally {
      await first.stop();
    }
    // Released on stop: the home can be taken again.
    const again = await startDaemon({ home, interval: 0.1 });
    await again.stop();
  });
});
