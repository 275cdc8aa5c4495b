// No command runs for anyone but the owner (README "Reliability", row 11): a process running as user
// `nobody` is refused over loopback TCP (no token, a wrong one, even the owner's own token for
// an agent_command) and cannot reach the Unix socket or read the token; the owner's CLI on the
// same host reads the generated token by itself. Prints one line of figures.
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RegisterModuleRequestSchema } from "../../gen/claude_comms/v1/module_service_pb.js";
import { createModuleClient } from "../../src/client/module-client.js";
import { CLI_MAIN, startDaemonProcess, type DaemonProcess } from "../helpers/daemon-process.js";
import { runProgram } from "../helpers/run.js";
import { makeTempHome } from "../helpers/temp-home.js";
import { figures, fixture } from "./lib/kit.js";

const NOBODY = 65534;
const FAST = { idleConnectionTimeoutMs: 50 };

/** Runs the hostile fixture as `nobody`; resolves with what each attempt got. */
function asNobody(args: string[]): Promise<Record<string, string | number>> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [fixture("hostile-peer.mjs"), ...args], { uid: NOBODY, gid: NOBODY, cwd: "/", timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`hostile-peer.mjs as nobody failed (the tests run as root to switch users): ${stderr || err.message}`));
      resolve(JSON.parse(stdout));
    });
  });
}

describe("access by another local user", () => {
  const temp = makeTempHome("ccf-acc-");
  const marker = path.join(temp.home, "ran");
  let daemon: DaemonProcess;
  let address: string;

  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error("this test switches to user nobody, which needs root: run it as root (CI does)");
    daemon = await startDaemonProcess(temp.home, ["--listen", "127.0.0.1:0", "--interval", "0.1"]);
    address = daemon.listen[1]!;
  });

  afterAll(async () => {
    await daemon?.stop();
    temp.cleanup();
  });

  it("refuses nobody everywhere, lets the owner in without a flag, and runs no command", async () => {
    const tokenFile = path.join(temp.home, "token");
    const token = fs.readFileSync(tokenFile, "utf8").trim();
    const mode = (fs.statSync(tokenFile).mode & 0o777).toString(8);
    const evil = create(RegisterModuleRequestSchema, {
      module: { name: "evil", directory: "/tmp", agentCommand: ["/bin/sh", "-c", `id > ${marker}`] },
    });
    const body = Buffer.from(toBinary(RegisterModuleRequestSchema, evil)).toString("hex");
    const nobody = await asNobody([address, daemon.socket, tokenFile, body, token]);

    // The owner: the CLI finds the home's token by itself; TCP never registers a command, the socket does.
    const env = { CLAUDE_COMMS_HOME: temp.home, CLAUDE_COMMS_TOKEN: "", CLAUDE_COMMS_TOKEN_FILE: "", CLAUDE_COMMS_ADDRESS: "" };
    const ownerTcp = await runProgram(process.execPath, [CLI_MAIN, "--json", "--address", address, "poll", "status"], { env });
    const ownerCommandTcp = await createModuleClient({ address, home: temp.home, ...FAST }).registerModule(evil).then(
      () => "OK",
      (err: { code: Code }) => Code[err.code],
    );
    const modules = createModuleClient({ home: temp.home, ...FAST });
    const before = await modules.listModules({});
    const harmless = { module: { name: "owned", directory: temp.home, agentCommand: ["/bin/true"] } };
    const ownerUnix = (await modules.registerModule(harmless)).created;

    const refused = ["statusNoToken", "registerNoToken", "registerWrongToken", "registerStolenToken"].filter((k) => /^(16|7) /.test(String(nobody[k])));
    figures("access", {
      tokenChars: token.length,
      tokenMode: mode,
      nobodyRefused: `${refused.length}/4`,
      unixSocket: nobody.unixSocket,
      tokenFileRead: nobody.tokenFile,
      ownerTcp: ownerTcp.code === 0 ? "OK" : ownerTcp.stderr.trim(),
      ownerCommandTcp,
      ownerUnix: ownerUnix ? "OK" : "refused",
      commandsRun: fs.existsSync(marker) ? 1 : 0,
    });
    expect(nobody.uid).toBe(NOBODY);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    expect(mode).toBe("600");
    expect(nobody.statusNoToken).toMatch(/^16 missing bearer token/);
    expect(nobody.registerNoToken).toMatch(/^16 missing bearer token/);
    expect(nobody.registerWrongToken).toMatch(/^16 invalid bearer token/);
    expect(nobody.registerStolenToken).toMatch(/^7 registering a module with an agent_command is accepted only over the daemon's Unix socket/);
    expect(nobody.unixSocket).toBe("EACCES");
    expect(nobody.tokenFile).toBe("EACCES");
    expect(ownerTcp.stderr).toBe("");
    expect(JSON.parse(ownerTcp.stdout).pid).toBe(daemon.pid);
    expect(ownerCommandTcp).toBe("PermissionDenied");
    expect(before.modules).toEqual([]);
    expect(ownerUnix).toBe(true);
    expect(fs.existsSync(marker)).toBe(false);
  });

  it("keeps the generated token across restarts", async () => {
    const token = fs.readFileSync(path.join(temp.home, "token"), "utf8");
    await daemon.stop();
    daemon = await startDaemonProcess(temp.home, ["--listen", "127.0.0.1:0"]);
    expect(fs.readFileSync(path.join(temp.home, "token"), "utf8")).toBe(token);
  });
});
