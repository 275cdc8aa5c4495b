// Every file the daemon creates is private (README "Reliability", row 12): the store, its -wal and -shm
// (which SQLite creates later), the log, the token, the lock and the pid file are 0600 under a
// umask of 000, also for a --store outside the home, and a store left 0644 is narrowed.
// Prints one line of figures.
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { connectClients } from "../helpers/clients.js";
import { startDaemonProcess } from "../helpers/daemon-process.js";
import { makeTempHome } from "../helpers/temp-home.js";
import { figures } from "./lib/kit.js";

const modeOf = (file: string) => (fs.existsSync(file) ? (fs.statSync(file).mode & 0o777).toString(8) : "missing");

describe("file modes", () => {
  const temp = makeTempHome("ccf-mode-");
  afterAll(() => temp.cleanup());

  it("creates every file 0600 under umask 000, outside the home too, and narrows a 0644 store", async () => {
    const home = path.join(temp.home, "home");
    const outside = path.join(temp.home, "elsewhere");
    fs.mkdirSync(outside);
    const store = path.join(outside, "comms.db");
    // A store made world-readable before, as earlier versions did.
    const old = path.join(temp.home, "old.db");
    new Database(old).close();
    fs.chmodSync(old, 0o644);
    const previous = process.umask(0); // the daemon inherits it
    let modes: Record<string, string>;
    try {
      const daemon = await startDaemonProcess(home, ["--store", `sqlite:${store}`, "--listen", "127.0.0.1:0"]);
      const c = connectClients(daemon.socket);
      for (let i = 0; i < 20; i++) await c.messages.createMessage({ threadId: "m", messageId: `m-${i}`, content: "secret" });
      const files = [store, `${store}-wal`, `${store}-shm`, ...["daemon.log", "token", "daemon.lock", "daemon.pid"].map((f) => path.join(home, f))];
      modes = Object.fromEntries(files.map((f) => [path.basename(f), modeOf(f)]));
      modes.home = modeOf(home);
      await daemon.stop();
      const second = await startDaemonProcess(path.join(temp.home, "home2"), ["--store", `sqlite:${old}`]);
      await connectClients(second.socket).messages.createMessage({ threadId: "o", messageId: "o-1" });
      modes["old.db"] = modeOf(old);
      modes["old.db-wal"] = modeOf(`${old}-wal`);
      await second.stop();
    } finally {
      process.umask(previous);
    }
    figures("file-modes", modes);
    const { home: homeMode, ...rest } = modes;
    expect(homeMode).toBe("700");
    expect(rest).toEqual(Object.fromEntries(Object.keys(rest).map((k) => [k, "600"])));
  });
});
