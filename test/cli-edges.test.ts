import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectClients } from "./helpers/clients.js";
import { cli, jsonLines, makeHome, startCli, startDaemon, stopDaemon, until } from "./helpers/cli.js";
import { CLI_MAIN } from "./helpers/daemon-process.js";
import { requireTool } from "./helpers/require-tool.js";

/*
 * The rough edges of issue 17, each as a user meets it: exit codes that follow the README's
 * table, errors as JSON with --json, contradictory options, list filters and limits,
 * `thread list`, the live line of a failed message on a terminal, and the text ready line.
 */

/** A daemon (started through `poll start`) for the tests of one describe block. */
function withDaemon(): { home: string; pid?: number } {
  const daemon: { home: string; pid?: number } = { home: "" };
  beforeAll(async () => {
    daemon.home = makeHome();
    daemon.pid = (await startDaemon(daemon.home)).pid;
  });
  afterAll(() => stopDaemon(daemon.home, daemon.pid));
  return daemon;
}

describe("the CLI's exit codes and errors", () => {
  const daemon = withDaemon();
  beforeAll(async () => void (await cli(daemon.home, ["message", "create", "--thread", "t-e", "--id", "e1"])));

  it("poll start while a daemon runs exits 1, detached or --foreground", async () => {
    for (const args of [["poll", "start"], ["poll", "start", "--foreground"]]) {
      const result = await cli(daemon.home, args, { timeoutMs: 20_000 });
      expect(result.code, args.join(" ")).toBe(1);
      expect(result.stderr).toContain(String(daemon.pid));
    }
  });

  it("poll add with a wrong --thread or a --timeout over the daemon's limit exits 2", async () => {
    const wrong = await cli(daemon.home, ["poll", "add", "e1", "--thread", "wrong"]);
    expect(wrong).toMatchObject({ code: 2, stderr: 'claude-comms: message "e1" belongs to thread "t-e", not "wrong"\n' });
    const long = await cli(daemon.home, ["poll", "add", "e1", "--timeout", "8d"]);
    expect(long.code).toBe(2);
    expect(long.stderr).toMatch(/timeout/);
  });

  it("cancel: 0 for a message cancelled now or before, 1 for one that finished otherwise", async () => {
    await cli(daemon.home, ["message", "create", "--thread", "t-e", "--id", "done", "--status", "complete"]);
    const finished = await cli(daemon.home, ["cancel", "done"]);
    expect(finished.code).toBe(1);
    expect(finished.stderr).toMatch(/is complete, which is final/);
    await cli(daemon.home, ["message", "create", "--thread", "t-e", "--id", "c1"]);
    expect((await cli(daemon.home, ["cancel", "c1"])).code).toBe(0);
    expect((await cli(daemon.home, ["cancel", "c1"])).code).toBe(0);
  });

  it("a request over --max-request-bytes names the setting and exits 2", async () => {
    const result = await cli(daemon.home, ["message", "append", "e1", "-"], { stdin: "a".repeat(5_000_017) });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^claude-comms: the request is \d+ bytes, more than the daemon at .* accepts \(its --max-request-bytes is 4194304\)/);
  });

  it("with --json, an error is one JSON object on stderr", async () => {
    const missing = await cli(daemon.home, ["--json", "poll", "show", "nope"]);
    expect(missing.code).toBe(4);
    expect(jsonLines(missing.stderr)).toEqual([{ code: "not_found", exit: 4, message: 'message "nope" not found' }]);
    const usage = await cli(daemon.home, ["--json", "poll", "lst"]);
    expect(usage.code).toBe(2);
    expect(jsonLines(usage.stderr)).toEqual([expect.objectContaining({ code: "usage", exit: 2, message: expect.stringContaining("unknown command 'lst'") })]);
    const down = await cli(makeHome(), ["--json", "poll", "list"]);
    expect(jsonLines(down.stderr)).toEqual([expect.objectContaining({ code: "unavailable", exit: 69 })]);
  });

  it("refuses contradictory options with exit 2", async () => {
    const cases = [
      ["poll", "watch", "e1", "--thread", "t-e"],
      ["poll", "watch", "--all", "--thread", "t-e"],
      ["poll", "list", "--active", "--status", "failed"],
      ["poll", "list", "--limit", "5", "--page-size", "5"],
    ];
    for (const args of cases) {
      const result = await cli(daemon.home, args);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr, args.join(" ")).toMatch(/contradict|select(s)? many/);
    }
  });
});

describe("poll list and thread list", () => {
  const daemon = withDaemon();

  it("says 'no monitored messages' only when nothing is monitored, else 'no messages match'", async () => {
    expect((await cli(daemon.home, ["poll", "list", "--status", "failed"])).stdout).toBe("no monitored messages (list every message with --all)\n");
    await cli(daemon.home, ["message", "create", "--thread", "t-l", "--id", "l-p"]);
    await cli(daemon.home, ["poll", "add", "l-p"]);
    expect((await cli(daemon.home, ["poll", "list", "--status", "failed"])).stdout).toBe("no messages match (add --all to search every stored message)\n");
    expect((await cli(daemon.home, ["poll", "list", "--all", "--thread", "none"])).stdout).toBe("no messages match\n");
  });

  it("takes --status more than once, and --active for pending and processing", async () => {
    await cli(daemon.home, ["message", "create", "--thread", "t-l", "--id", "l-r", "--status", "processing"]);
    await cli(daemon.home, ["message", "create", "--thread", "t-l", "--id", "l-f", "--status", "failed"]);
    for (const id of ["l-r", "l-f"]) await cli(daemon.home, ["poll", "add", id]);
    const ids = async (args: string[]) => jsonLines((await cli(daemon.home, ["--json", "poll", "list", ...args])).stdout)[0]!.messages.map((m: { messageId: string }) => m.messageId);
    expect(await ids(["--status", "pending", "--status", "failed"])).toEqual(["l-p", "l-f"]);
    expect(await ids(["--active"])).toEqual(["l-p", "l-r"]);
  });

  it("shows 100 rows by default and counts the rest; --limit N and --limit 0", async () => {
    const c = connectClients(path.join(daemon.home, "daemon.sock"));
    for (let i = 0; i < 105; i++) await c.messages.createMessage({ threadId: "t-many", messageId: `n-${String(i).padStart(3, "0")}` });
    const table = await cli(daemon.home, ["poll", "list", "--all", "--thread", "t-many"]);
    const lines = table.stdout.trim().split("\n");
    expect(lines).toHaveLength(102); // header, 100 rows, the count
    expect(lines.at(-1)).toBe("… 5 more (105 in all): --limit N to show N, --limit 0 for every row");
    expect((await cli(daemon.home, ["poll", "list", "--all", "--thread", "t-many", "--limit", "3"])).stdout.trim().split("\n")).toHaveLength(5);
    expect((await cli(daemon.home, ["poll", "list", "--all", "--thread", "t-many", "--limit", "0"])).stdout.trim().split("\n")).toHaveLength(106);
    const json = jsonLines((await cli(daemon.home, ["--json", "poll", "list", "--all", "--thread", "t-many"])).stdout)[0]!;
    expect(json.messages).toHaveLength(105);
  });

  it("thread list shows each thread with its messages, newest activity first", async () => {
    await new Promise((resolve) => setTimeout(resolve, 50)); // a later update time than t-many's
    await cli(daemon.home, ["message", "create", "--thread", "t-last", "--id", "z1", "--module", "marker", "--status", "complete"]);
    const result = await cli(daemon.home, ["thread", "list"]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^THREAD\s+MESSAGES\s+MODULES\s+LAST STATUS\s+UPDATED$/);
    expect(lines[1]).toMatch(/^t-last\s+1\s+marker\s+complete\s+\d{4}-/);
    expect(result.stdout).toMatch(/^t-many\s+105\s+-\s+pending/m);
    const json = jsonLines((await cli(daemon.home, ["--json", "thread", "list", "--module", "marker"])).stdout);
    expect(json).toEqual([expect.objectContaining({ threadId: "t-last", messages: 1, modules: ["marker"], lastStatus: "complete" })]);
  });
});

describe("on a terminal and in the foreground", () => {
  const daemon = withDaemon();

  it("the live line of a failed message shows the reason", async () => {
    // `script` gives the watch a terminal (util-linux), as a user's shell does.
    const script = requireTool("script", "util-linux");
    await cli(daemon.home, ["message", "create", "--thread", "t-tty", "--id", "tty-1", "--status", "processing"]);
    const command = `'${process.execPath}' '${CLI_MAIN}' --home '${daemon.home}' poll watch tty-1`;
    const child = spawn(script, ["-qefc", command, "/dev/null"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
    await until(() => out.includes("processing"));
    await cli(daemon.home, ["message", "set-status", "tty-1", "failed", "--error", "boom"]);
    expect(await exited).toBe(10);
    const lastLine = out.split("\r").map((s) => s.replace(/\x1b\[K/g, "").trim()).filter(Boolean).at(-1);
    expect(lastLine).toMatch(/^tty-1 {2}failed {2}0 bytes {2}seq \d+ {2}boom$/);
  });

  it("--foreground --log-format text prints a text ready line", async () => {
    const other = makeHome();
    const run = startCli(other, ["poll", "start", "--foreground", "--log-format", "text", "--log-file", `${other}/daemon.log`], { timeoutMs: 30_000 });
    try {
      await until(() => run.stdout().includes("\n"));
      expect(run.stdout()).toMatch(/^daemon ready \(pid \d+\), listening on unix:.*daemon\.sock, store sqlite:.*\n$/);
    } finally {
      await cli(other, ["poll", "stop"]);
      expect((await run.done).code).toBe(0);
      await stopDaemon(other, undefined);
    }
  });
});
