import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAlive } from "./fixtures/agent-kit.js";
import { cli, jsonLines, makeHome, startCli, startDaemon, stopDaemon, until } from "./helpers/cli.js";


describe("claude-comms without a daemon", () => {
  let home: string;
  beforeAll(() => void (home = makeHome()));
  afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

  it("exits 69 and says how to start the daemon", async () => {
    const result = await cli(home, ["poll", "list"]);
    expect(result.code).toBe(69);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(
      `claude-comms: daemon not running at unix:${path.join(home, "daemon.sock")} (start it with: claude-comms poll start)\n`,
    );
  });

  it("exits 69 for a TCP address nobody listens on", async () => {
    const result = await cli(home, ["--address", "127.0.0.1:1", "poll", "status"]);
    expect(result.code).toBe(69);
    expect(result.stderr).toMatch(/^claude-comms: daemon not running at 127\.0\.0\.1:1 /);
  });

  it("exits 2 with one line for usage errors, before dialling the daemon", async () => {
    const unknown = await cli(home, ["poll", "list", "--bogus"]);
    expect(unknown).toMatchObject({ code: 2, stdout: "" });
    expect(unknown.stderr).toBe("claude-comms: unknown option '--bogus' (see: claude-comms poll list --help)\n");
    const status = await cli(home, ["message", "set-status", "m1", "done"]);
    expect(status.code).toBe(2);
    expect(status.stderr).toBe(
      'claude-comms: unknown status "done": use one of pending, processing, complete, failed, timed_out, cancelled\n',
    );
    const timeout = await cli(home, ["poll", "wait", "m1", "--timeout", "soon"]);
    expect(timeout.code).toBe(2);
    expect(timeout.stderr).toMatch(/^claude-comms: invalid --timeout "soon"/);
    expect((await cli(home, ["message", "create"])).code).toBe(2);
  });

  it("documents the exit codes in --help", async () => {
    const help = await cli(home, ["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Exit codes:");
    expect(help.stdout).toMatch(/69\s+daemon not reachable/);
  });
});

describe("claude-comms against a daemon", () => {
  let home: string;
  let pid: number | undefined;

  beforeAll(async () => {
    home = makeHome();
    const daemon = await startDaemon(home);
    pid = daemon.pid;
    expect(daemon.ready).toMatchObject({ event: "ready", listen: [`unix:${path.join(home, "daemon.sock")}`] });
    expect(daemon.ready.store).toMatch(/^sqlite:/);
  }, 30_000);

  afterAll(() => stopDaemon(home, pid), 20_000);

  it("refuses a second start on the same home and says where the first one is", async () => {
    const second = await cli(home, ["poll", "start"], { timeoutMs: 20_000 });
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/^claude-comms: .*already running.*\n$/);
    expect(second.stderr).toContain(String(pid));
  });

  it("reports the daemon's status", async () => {
    const json = await cli(home, ["--json", "poll", "status"]);
    expect(json.code).toBe(0);
    expect(jsonLines(json.stdout)[0]).toMatchObject({ pid, version: "0.1.0", interval: "0.200s" });
    const human = await cli(home, ["poll", "status"]);
    expect(human.stdout).toMatch(new RegExp(`^pid\\s+${pid}$`, "m"));
    expect(human.stdout).toMatch(/^listen\s+unix:/m);
  });

  it("creates a message, monitors it and lists it", async () => {
    const created = await cli(home, ["message", "create", "--thread", "t-list", "--id", "m-list", "--module", "marker"]);
    expect(created).toMatchObject({ code: 0, stdout: "m-list\n", stderr: "" });
    const added = await cli(home, ["--json", "poll", "add", "m-list", "--timeout", "5m", "--label", "team=docs"]);
    expect(added.code).toBe(0);
    expect(jsonLines(added.stdout)[0]).toMatchObject({ created: true, message: { messageId: "m-list", monitor: { labels: { team: "docs" } } } });

    const table = await cli(home, ["poll", "list", "--thread", "t-list"]);
    expect(table.code).toBe(0);
    const [header, row] = table.stdout.trim().split("\n");
    expect(header).toMatch(/^ID\s+THREAD\s+MODULE\s+STATUS\s+LENGTH\s+UPDATED\s+DEADLINE$/);
    expect(row).toMatch(/^m-list\s+t-list\s+marker\s+pending\s+0\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);

    const json = await cli(home, ["--json", "poll", "list", "--status", "PENDING", "--thread", "t-list"]);
    expect(jsonLines(json.stdout)).toEqual([
      expect.objectContaining({ messages: [expect.objectContaining({ messageId: "m-list", status: "MESSAGE_STATUS_PENDING" })] }),
    ]);
  });

  it("streams a message's events to a watcher until it completes", async () => {
    await cli(home, ["message", "create", "--thread", "t-watch", "--id", "m-watch"]);
    await cli(home, ["poll", "add", "m-watch"]);
    const watch = startCli(home, ["--json", "poll", "watch", "m-watch"]);
    await until(() => watch.stdout().includes("EVENT_KIND_SNAPSHOT"));

    expect((await cli(home, ["message", "set-status", "m-watch", "processing"])).stdout).toBe("m-watch: processing\n");
    expect((await cli(home, ["message", "append", "m-watch", "hello "])).code).toBe(0);
    const appended = await cli(home, ["message", "append", "m-watch", "-"], { stdin: "world" });
    expect(appended).toMatchObject({ code: 0, stdout: "m-watch: 11 bytes\n" });
    await until(() => watch.stdout().includes('"contentLength":"11"'));
    expect((await cli(home, ["message", "set-status", "m-watch", "complete"])).code).toBe(0);

    const result = await watch.done;
    expect(result).toMatchObject({ code: 0, stderr: "" });
    const events = jsonLines(result.stdout).map((line) => line.event).filter((e) => e.kind !== "EVENT_KIND_HEARTBEAT");
    expect(events[0]).toMatchObject({ kind: "EVENT_KIND_SNAPSHOT", message: { status: "MESSAGE_STATUS_PENDING" } });
    expect(events.at(-1)).toMatchObject({ kind: "EVENT_KIND_STATUS_CHANGED", toStatus: "MESSAGE_STATUS_COMPLETE", contentLength: "11" });
    const seqs = events.slice(1).map((e) => Number(e.seq));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);

    const show = await cli(home, ["poll", "show", "m-watch", "--content"]);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/^status\s+complete$/m);
    expect(show.stdout).toMatch(/^SEQ\s+TIME\s+KIND\s+FROM→TO\s+LENGTH\s+DETAIL$/m);
    expect(show.stdout).toMatch(/status_changed\s+processing→complete\s+11/);
    expect(show.stdout.endsWith("\nhello world\n")).toBe(true);
  });

  it("prints one line per event when stdout is not a terminal, and exits 10 for a failed message", async () => {
    await cli(home, ["message", "create", "--thread", "t-fail", "--id", "m-fail", "--status", "processing"]);
    const watch = startCli(home, ["poll", "watch", "m-fail"]);
    await until(() => watch.stdout().includes("snapshot"));
    await cli(home, ["message", "set-status", "m-fail", "failed", "--error", "agent crashed"]);
    const result = await watch.done;
    expect(result.code).toBe(10);
    const lines = result.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/seq \d+\s+snapshot\s+processing\s+0 bytes$/);
    expect(lines.at(-1)).toMatch(/status_changed\s+processing→failed\s+0 bytes\s+agent crashed$/);
  });

  it("waits for a message: 75 while it runs, then the exit code of its final status", async () => {
    await cli(home, ["message", "create", "--thread", "t-wait", "--id", "m-wait", "--status", "processing"]);
    const early = await cli(home, ["poll", "wait", "m-wait", "--timeout", "300ms"]);
    expect(early).toMatchObject({ code: 75, stdout: "", stderr: "claude-comms: still processing after 300ms\n" });

    const waiting = startCli(home, ["--json", "poll", "wait", "m-wait"]);
    const cancelled = await cli(home, ["cancel", "m-wait", "--reason", "not needed"]);
    expect(cancelled).toMatchObject({ code: 0, stdout: "cancelled m-wait\n" });
    const result = await waiting.done;
    expect(result.code).toBe(12);
    expect(jsonLines(result.stdout)[0]).toMatchObject({
      finished: true,
      message: { status: "MESSAGE_STATUS_CANCELLED", error: "not needed" },
    });
    expect(await cli(home, ["poll", "wait", "m-wait"])).toMatchObject({ code: 12, stdout: "cancelled: not needed\n" });
  });

  it("maps the daemon's errors to exit codes and one line on stderr", async () => {
    const missing = await cli(home, ["poll", "show", "no-such-message"]);
    expect(missing).toMatchObject({ code: 4, stdout: "", stderr: 'claude-comms: message "no-such-message" not found\n' });
    await cli(home, ["message", "create", "--thread", "t-final", "--id", "m-final", "--status", "complete"]);
    const final = await cli(home, ["message", "set-status", "m-final", "processing"]);
    expect(final.code).toBe(1);
    expect(final.stderr).toMatch(/^claude-comms: [^\n]*m-final[^\n]*\n$/);
    expect(final.stderr).not.toContain("[");
  });

  it("stops monitoring a message with poll remove", async () => {
    await cli(home, ["message", "create", "--thread", "t-remove", "--id", "m-remove"]);
    await cli(home, ["poll", "add", "m-remove"]);
    const removed = await cli(home, ["poll", "remove", "m-remove"]);
    expect(removed).toMatchObject({ code: 0, stdout: "stopped monitoring m-remove (pending)\n" });
    const list = await cli(home, ["--json", "poll", "list", "--thread", "t-remove"]);
    expect(jsonLines(list.stdout)[0]!.messages).toEqual([]);
    const all = await cli(home, ["--json", "poll", "list", "--thread", "t-remove", "--all"]);
    expect(jsonLines(all.stdout)[0]!.messages).toHaveLength(1);
    expect((await cli(home, ["poll", "remove", "m-remove"])).code).toBe(4);
  });

  it("follows every page of the list unless --page-size asks for one", async () => {
    for (const id of ["p1", "p2", "p3"]) await cli(home, ["message", "create", "--thread", "t-pages", "--id", id]);
    const all = await cli(home, ["--json", "poll", "list", "--all", "--thread", "t-pages"]);
    expect(jsonLines(all.stdout)[0]!.messages.map((m: { messageId: string }) => m.messageId)).toEqual(["p1", "p2", "p3"]);
    const page = await cli(home, ["--json", "poll", "list", "--all", "--thread", "t-pages", "--page-size", "2"]);
    const first = jsonLines(page.stdout)[0]!;
    expect(first.messages).toHaveLength(2);
    expect(first.nextPageToken).not.toBe("");
    const next = await cli(home, ["--json", "poll", "list", "--all", "--thread", "t-pages", "--page-size", "2", "--page-token", first.nextPageToken]);
    expect(jsonLines(next.stdout)[0]!.messages.map((m: { messageId: string }) => m.messageId)).toEqual(["p3"]);
  });

  it("shows a thread's conversation in order", async () => {
    await cli(home, ["message", "create", "--thread", "t-conv", "--id", "q", "--module", "marker", "--type", "question", "--content", "Which schema?"]);
    await cli(home, ["message", "create", "--thread", "t-conv", "--id", "a", "--module", "arangodb", "--type", "response", "--status", "complete", "--content", "Two collections."]);
    const shown = await cli(home, ["thread", "show", "t-conv"]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/── marker · question · pending · [^\n]+\nWhich schema\?\n\n── arangodb · response · complete · [^\n]+\nTwo collections\.\n$/);
  });
});

describe("claude-comms poll stop", () => {
  it("stops the daemon; afterwards the CLI reports it as not running", async () => {
    const home = makeHome();
    let pid: number | undefined;
    try {
      pid = (await startDaemon(home)).pid;
      const stopped = await cli(home, ["poll", "stop"]);
      expect(stopped).toMatchObject({ code: 0, stdout: `daemon stopped (pid ${pid})\n`, stderr: "" });
      await until(() => !isAlive(pid!));
      const status = await cli(home, ["poll", "status"]);
      expect(status.code).toBe(69);
      expect(status.stderr).toContain("daemon not running at unix:");
      expect((await cli(home, ["poll", "stop"])).code).toBe(69);
    } finally {
      await stopDaemon(home, pid);
    }
  }, 30_000);
});
