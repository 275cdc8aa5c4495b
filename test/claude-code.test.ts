import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { claudeBinary } from "./helpers/claude-code.js";
import { runProgram } from "./helpers/run.js";
import { makeTempHome } from "./helpers/temp-home.js";

/*
 * The real Claude Code CLI the agent tests drive: `npm test` installs the pinned version into a
 * cache directory (test/setup/claude-code.sh) and passes its binary in CLAUDE_COMMS_TEST_CLAUDE.
 */

const PINNED = fs.readFileSync(fileURLToPath(new URL("./setup/claude-code.version", import.meta.url)), "utf8").trim();

describe("the pinned Claude Code CLI", () => {
  const temp = makeTempHome("cc-claude-");
  afterAll(() => temp.cleanup());

  it(`is installed and reports version ${PINNED}`, async () => {
    const claude = claudeBinary();
    // Its own HOME: the CLI keeps its state in ~/.claude.
    const res = await runProgram(claude, ["--version"], { env: { HOME: temp.home } });
    expect([res.code, res.stderr]).toEqual([0, ""]);
    expect(res.stdout.trim()).toBe(`${PINNED} (Claude Code)`);
  });
});
