import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_MAIN } from "./helpers/daemon-process.js";
import { runProgram } from "./helpers/run.js";
import { requireTool } from "./helpers/require-tool.js";
import { makeTempHome } from "./helpers/temp-home.js";

/*
 * `claude-comms completion bash|zsh`: scripts generated from the command tree, checked by
 * the shells themselves (syntax) and by running their completion functions on command lines.
 * `npm test` installs zsh.
 */

describe("claude-comms completion", () => {
  const temp = makeTempHome("cc-comp-");
  const scripts: Record<"bash" | "zsh", string> = { bash: "", zsh: "" };

  beforeAll(async () => {
    for (const shell of ["bash", "zsh"] as const) {
      const res = await runProgram(process.execPath, [CLI_MAIN, "completion", shell]);
      expect(res.stderr).toBe("");
      scripts[shell] = path.join(temp.home, `completion.${shell}`);
      fs.writeFileSync(scripts[shell], res.stdout);
    }
  });

  afterAll(() => temp.cleanup());

  /** Completes the last word of `words` with the bash script; the candidates, sorted. */
  async function bashComplete(words: string[]): Promise<string[]> {
    const quoted = words.map((w) => `'${w}'`).join(" ");
    const program = `source '${scripts.bash}'; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _claude_comms; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const res = await runProgram("bash", ["-c", program]);
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
    expect(await bashComplete(["claude-comms", "completion", ""])).toEqual(["bash", "zsh"]);
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
    ].join("\n");
    const res = await runProgram(zsh, ["-c", program]);
    expect(res.stderr).toBe("");
    expect(res.stdout.split("\n").filter(Boolean)).toEqual(["start", "stop", "status", "list", "show", "add", "remove", "watch", "wait"]);
  });

  it("refuses an unknown shell with the choices", async () => {
    const res = await runProgram(process.execPath, [CLI_MAIN, "completion", "fish"]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("Allowed choices are bash, zsh");
  });
});
