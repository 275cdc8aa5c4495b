#!/usr/bin/env node
import { parseDaemonConfig } from "./config.js";
import { Daemon } from "./daemon.js";
import { AlreadyRunningError } from "./lock.js";
import { SettingError } from "../common/setting-parsers.js";

/*
 * The daemon process. `claude-comms poll start` runs it (detached, or attached with
 * --foreground). It prints exactly one JSON line on stdout when it answers requests, and
 * nothing on stdout after; errors before that go to stderr with a non-zero exit
 * (2: a setting's value was refused; 3: another daemon runs on this home; else 1).
 */

const EXIT_BAD_SETTING = 2;
const EXIT_ALREADY_RUNNING = 3;

async function main(): Promise<void> {
  // The CLI closes our pipes once we are ready; later writes must not kill us.
  process.stdout.on("error", () => undefined);
  process.stderr.on("error", () => undefined);
  let daemon: Daemon;
  try {
    daemon = await Daemon.start(parseDaemonConfig(process.argv.slice(2)));
  } catch (err) {
    process.stderr.write(`claude-comms daemon: ${(err as Error).message}\n`);
    process.exit(err instanceof AlreadyRunningError ? EXIT_ALREADY_RUNNING : err instanceof SettingError ? EXIT_BAD_SETTING : 1);
  }
  const dashboard = daemon.dashboard?.listening;
  const ready = { event: "ready", pid: process.pid, listen: daemon.listen, store: daemon.store.description, ...(dashboard ? { dashboard } : {}) };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
  for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, () => void daemon.stop(signal));
  process.on("unhandledRejection", (err) => daemon.log.error("unhandled rejection", { err }));
  process.on("uncaughtException", (err) => {
    daemon.log.error("uncaught exception; stopping", { err });
    void daemon.stop("uncaught exception").finally(() => process.exit(70));
  });
  await daemon.stopped;
  process.exit(0);
}

void main();
