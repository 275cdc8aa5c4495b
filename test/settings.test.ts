import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { parseDaemonConfig } from "../src/daemon/config.js";
import { SETTINGS, parseSetting, type SettingName } from "../src/common/settings.js";
import { settingsTable, withSettingsTable } from "../src/common/settings-table.js";
import { ACTIVE_STATUSES, STATUS_NAMES, TERMINAL_STATUSES } from "../src/common/status.js";
import { isFinishedStatus, statusNameOf, statusOfName } from "../src/client/message-status.js";
import { MessageStatus } from "../gen/claude_comms/v1/message_pb.js";
import { CLI_MAIN, DAEMON_MAIN } from "./helpers/daemon-process.js";
import { runProgram } from "./helpers/run.js";
import { makeTempHome } from "./helpers/temp-home.js";

const README = fileURLToPath(new URL("../README.md", import.meta.url));
const temp = makeTempHome("cc-set-");
afterAll(() => temp.cleanup());

describe("the settings table", () => {
  it("is the README's configuration table (npm run docs:settings rewrites it)", () => {
    const readme = fs.readFileSync(README, "utf8");
    expect(readme).toContain(settingsTable());
    expect(withSettingsTable(readme)).toBe(readme);
  });

  it("parses every default it shows (a default the parser refuses would be a lie)", () => {
    for (const [name, setting] of Object.entries(SETTINGS) as Array<[SettingName, (typeof SETTINGS)[SettingName]]>) {
      if ("derived" in setting || !setting.default) continue;
      expect(() => parseSetting(name, setting.default), name).not.toThrow();
    }
  });

  it("gives the daemon its defaults from the table", () => {
    const config = parseDaemonConfig(["--home", temp.home], {});
    expect(config).toMatchObject({ intervalMs: 1000, leaseMs: 15_000, maxTimeoutMs: 7 * 86_400_000, maxRequestBytes: 4194304, agentCommand: ["claude"], synchronous: "NORMAL" });
  });

  // Each refused value, as `poll start` checks it (exit 2, before running anything) and as the
  // daemon program itself refuses it (exit 2): the same parser, the same words.
  const bad: Array<[string, string, RegExp]> = [
    ["--lease", "bogus", /invalid --lease "bogus"/],
    ["--max-timeout", "bogus", /invalid --max-timeout "bogus"/],
    ["--interval", "0", /--interval must be at least 1 ms/],
    ["--interval", "-1", /invalid --interval "-1"/],
    ["--max-agents", "0", /--max-agents must be a positive whole number/],
    ["--log-level", "loud", /--log-level must be one of debug, info, warn, error/],
    ["--listen", "nowhere", /--listen must be HOST:PORT/],
    ["--store", "mysql://x", /--store must be sqlite:PATH or postgres:/],
  ];
  it.each(bad)("poll start %s %s is a usage error (exit 2), as the daemon's own", async (flag, value, words) => {
    const cli = await runProgram(process.execPath, [CLI_MAIN, "--home", temp.home, "poll", "start", flag, value]);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toMatch(words);
    const daemon = await runProgram(process.execPath, [DAEMON_MAIN, "--home", temp.home, "--log-file", "-", `${flag}=${value}`]);
    expect(daemon.code).toBe(2);
    expect(daemon.stderr).toMatch(words);
  });
});

describe("the status table", () => {
  it("names every status once, each terminal or active", () => {
    expect([...ACTIVE_STATUSES, ...TERMINAL_STATUSES].sort()).toEqual([...STATUS_NAMES].sort());
    expect(TERMINAL_STATUSES).toEqual(["complete", "failed", "timed_out", "cancelled"]);
  });

  it("maps the generated enum by name, both ways", () => {
    for (const name of STATUS_NAMES) expect(statusNameOf(statusOfName(name))).toBe(name);
    expect(statusNameOf(MessageStatus.UNSPECIFIED)).toBeUndefined();
    expect(STATUS_NAMES.map(statusOfName).filter(isFinishedStatus)).toEqual([MessageStatus.COMPLETE, MessageStatus.FAILED, MessageStatus.TIMED_OUT, MessageStatus.CANCELLED]);
  });
});
