import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MessageStatus } from "../gen/claude_comms/v1/message_pb.js";
import { connectClients } from "./helpers/clients.js";
import { CLI_MAIN, startDaemonProcess, type DaemonProcess } from "./helpers/daemon-process.js";
import { runProgram } from "./helpers/run.js";
import { requireTool } from "./helpers/require-tool.js";
import { makeTempHome } from "./helpers/temp-home.js";

/*
 * `claude-comms completion bash|zsh|fish`: scripts generated from the command tree, checked by
 * the shells themselves (syntax) and by running their completion functions on command lines,
 * values asked from a real daemon. `npm test` installs zsh and fish.
 */

describe("claude-comms completion", () => {
  const temp = makeTempHome("cc-comp-");
  const scripts: Record<"bash" | "zsh" | "fish", string> = { bash: "", zsh: "", fish: "" };
  // The scripts run the program by the name typed: a claude-comms on PATH, as once installed.
  const bin = path.join(temp.home, "bin");
  const env = { PATH: `${bin}:${process.env.PATH}` };
  const daemonHome = path.join(temp.home, "d");
  let daemon: DaemonProcess;

  beforeAll(async () => {
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, "claude-comms"), `#!/bin/sh\nexec '${process.execPath}' '${CLI_MAIN}' "$@"\n`, { mode: 0o755 });
    fs.mkdirSync(daemonHome);
    daemon = await startDaemonProcess(daemonHome, ["--interval", "0.1"]);
    const c = connectClients(daemon.socket);
    await c.messages.createMessage({ threadId: "thread-a", messageId: "msg-one", status: MessageStatus.PROCESSING });
    await c.polling.addMessage({ messageId: "msg-one" });
    for (const shell of ["bash", "zsh", "fish"] as const) {
      const res = await runProgram(process.execPath, [CLI_MAIN, "completion", shell]);
      expect(res.stderr).toBe("");
      scripts[shell] = path.join(temp.home, `completion.${shell}`);
      fs.writeFileSync(scripts[shell], res.stdout);
    }
  });

  afterAll(async () => {
    await daemon?.stop();
    temp.cleanup();
  });

  /** Completes the last word of `words` with the bash script; the candidates, sorted. */
  async function bashComplete(words: string[]): Promise<string[]> {
    const quoted = words.map((w) => `'${w}'`).join(" ");
    const program = `source '${scripts.bash}'; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _claude_comms; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const res = await runProgram("bash", ["-c", program], { env });
    expect(res.stderr).toBe("");
    return res.stdout.split("\n").filter(Boolean).sort();
  }

  it("prints a bash script that bash accepts", async () => {
    const res = await runProgram("bash", ["-n", scripts.bash]);
    expect([res.code, res.stderr]).toEqual([0, ""]);
  });

  it("completes subcommands, options and argument choices from the command tree", async () => {
    expect(await bashComplete(["claude-comms", "poll", "s"])).toEqual(["show", "start", "status", "stop"]);
    expect(await bashComplete(["claude-comms", "--home", "/tmp/x", "poll", "s"])).toEqual(["show", "start", "status", "stop"]);
    expect(await bashComplete(["claude-comms", "m"])).toEqual(["message", "module"]);
    expect(await bashComplete(["claude-comms", "poll", "start", "--tls"])).toEqual(["--tls-ca", "--tls-cert", "--tls-key"]);
    expect(await bashComplete(["claude-comms", "completion", ""])).toEqual(["bash", "fish", "zsh"]);
  });

  it("completes file names after options that take a file", async () => {
    fs.writeFileSync(path.join(temp.home, "token-file"), "x");
    expect(await bashComplete(["claude-comms", "--token-file", path.join(temp.home, "tok")])).toEqual([path.join(temp.home, "token-file")]);
  });

  it("prints a zsh script that zsh accepts and that completes the same tree", async () => {
    const zsh = requireTool("zsh", "zsh");
    const syntax = await runProgram(zsh, ["-n", scripts.zsh]);
    expect([syntax.code, syntax.stderr]).toEqual([0, ""]);
    // _describe and compdef come from zsh's completion system; stand-ins print what they get.
    const program = [
      "compdef() { :; }",
      '_describe() { local -a items; items=("${(@P)4}"); print -rl -- "${items[@]%%:*}"; }',
      `source '${scripts.zsh}'`,
      "words=(claude-comms poll s); CURRENT=3; PREFIX=s; _claude_comms",
      // compadd's stand-in prints the values the daemon gave.
      'compadd() { shift; print -rl -- "$@"; }',
      `words=(claude-comms --home ${daemonHome} poll show ''); CURRENT=6; PREFIX=''; _claude_comms`,
    ].join("\n");
    const res = await runProgram(zsh, ["-c", program], { env });
    expect(res.stderr).toBe("");
    expect(res.stdout.split("\n").filter(Boolean)).toEqual(["start", "stop", "status", "list", "show", "add", "remove", "watch", "wait", "msg-one"]);
  });

  it("completes statuses, modules, threads and message ids, asking the daemon of the --home typed", async () => {
    const statuses = ["cancelled", "complete", "failed", "pending", "processing", "timed_out"];
    expect(await bashComplete(["claude-comms", "poll", "list", "--status", ""])).toEqual(statuses);
    expect(await bashComplete(["claude-comms", "message", "set-status", "msg-one", "p"])).toEqual(["pending", "processing"]);
    expect(await bashComplete(["claude-comms", "--home", daemonHome, "poll", "show", ""])).toEqual(["msg-one"]);
    expect(await bashComplete(["claude-comms", "--home", daemonHome, "poll", "watch", "--thread", "th"])).toEqual(["thread-a"]);
    expect(await bashComplete(["claude-comms", "--home", daemonHome, "message", "set-status", ""])).toEqual(["msg-one"]);
  });

  it("completes nothing, quickly and silently, when the daemon is down", async () => {
    const started = Date.now();
    expect(await bashComplete(["claude-comms", "--home", path.join(temp.home, "none"), "poll", "show", ""])).toEqual([]);
    expect(await bashComplete(["claude-comms", "--home", path.join(temp.home, "none"), "ask", "--to", ""])).toEqual([]);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("prints a fish script that fish accepts and that completes commands and values", async () => {
    const fish = requireTool("fish", "fish");
    const syntax = await runProgram(fish, ["-n", scripts.fish]);
    expect([syntax.code, syntax.stderr]).toEqual([0, ""]);
    const complete = async (line: string) => {
      const res = await runProgram(fish, ["-c", `source '${scripts.fish}'; complete -C '${line}'`], { env });
      expect(res.stderr).toBe("");
      return res.stdout.split("\n").filter(Boolean).map((l) => l.split("\t")[0]).sort();
    };
    expect(await complete("claude-comms poll s")).toEqual(["show", "start", "status", "stop"]);
    expect(await complete("claude-comms poll list --status p")).toEqual(["pending", "processing"]);
    expect(await complete(`claude-comms --home ${daemonHome} poll wait `)).toEqual(["msg-one"]);
  });

  it("refuses an unknown shell with the choices", async () => {
    const res = await runProgram(process.execPath, [CLI_MAIN, "completion", "tcsh"]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("Allowed choices are bash, zsh, fish");
  });
});
