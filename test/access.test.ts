import fs from "node:fs";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPollingClient } from "../src/client/polling-client.js";
import { parseDaemonConfig } from "../src/daemon/config.js";
import { Daemon } from "../src/daemon/daemon.js";
import { CLI_MAIN, startDaemonProcess, type DaemonProcess } from "./helpers/daemon-process.js";
import { requireTool } from "./helpers/require-tool.js";
import { runProgram } from "./helpers/run.js";
import { makeTempHome } from "./helpers/temp-home.js";
import { makeTestCredentials, type TestCredentials } from "./helpers/tls.js";

/*
 * Access to a running daemon: a bearer token on TCP (never on the Unix socket), TLS on the
 * TCP listener, and what the CLI, curl and buf curl say when they get either wrong.
 */

const BUF = fileURLToPath(new URL("../node_modules/.bin/buf", import.meta.url));
const FAST = { idleConnectionTimeoutMs: 50 };

/** Runs the CLI against a home, without inheriting a token or address from the environment. */
function cli(home: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const clean = { CLAUDE_COMMS_HOME: home, CLAUDE_COMMS_ADDRESS: "", CLAUDE_COMMS_TOKEN: "", CLAUDE_COMMS_TOKEN_FILE: "", CLAUDE_COMMS_TLS_CA: "" };
  return runProgram(process.execPath, [CLI_MAIN, ...args], { env: { ...clean, ...env }, timeoutMs: 20_000 });
}

describe("bearer token on TCP", () => {
  const temp = makeTempHome("cc-tok-");
  let creds: TestCredentials;
  let daemon: DaemonProcess;
  let address: string;

  beforeAll(async () => {
    creds = makeTestCredentials(temp.home);
    daemon = await startDaemonProcess(temp.home, ["--listen", "127.0.0.1:0", "--token-file", creds.tokenFile, "--log-level", "debug"]);
    address = daemon.listen[1]!;
  });

  afterAll(async () => {
    await daemon?.stop();
    temp.cleanup();
  });

  it("refuses TCP calls without the right token UNAUTHENTICATED, saying what is expected", async () => {
    // This home has no generated token (the daemon was given one): nothing is sent.
    const missing = createPollingClient({ address, home: temp.home, ...FAST });
    await expect(missing.getDaemonStatus({})).rejects.toMatchObject({
      code: Code.Unauthenticated,
      rawMessage: "missing bearer token: TCP requests to this daemon must carry the header 'authorization: Bearer <token>'",
    });
    const wrong = createPollingClient({ address, token: "not-the-token-at-all", ...FAST });
    await expect(wrong.getDaemonStatus({})).rejects.toMatchObject({ code: Code.Unauthenticated, rawMessage: expect.stringMatching(/^invalid bearer token/) });
    const basic = createPollingClient({ address, interceptors: [(next) => (req) => (req.header.set("authorization", "Basic abc"), next(req))], ...FAST });
    await expect(basic.getDaemonStatus({})).rejects.toMatchObject({ code: Code.Unauthenticated, rawMessage: expect.stringMatching(/^malformed authorization header/) });
  });

  it("serves TCP calls with the token, and Unix socket calls without one", async () => {
    const tcp = createPollingClient({ address, token: creds.token, ...FAST });
    expect((await tcp.getDaemonStatus({})).pid).toBe(daemon.pid);
    const unix = createPollingClient({ home: temp.home, ...FAST });
    expect((await unix.getDaemonStatus({})).pid).toBe(daemon.pid);
  });

  it("never writes the token to the log", async () => {
    await createPollingClient({ address, token: `${creds.token}x`, ...FAST }).getDaemonStatus({}).catch(() => undefined);
    const log = fs.readFileSync(`${temp.home}/daemon.log`, "utf8");
    expect(log).toContain("request refused");
    expect(log).not.toContain(creds.token);
  });

  it("lets the CLI pass the token by --token-file, --token or the environment, and says what is missing", async () => {
    const bare = await cli(temp.home, ["--address", address, "poll", "status"]);
    expect(bare.code).toBe(1);
    expect(bare.stderr).toBe(
      `claude-comms: daemon at ${address} refused the call: missing bearer token: TCP requests to this daemon must carry the header ` +
        "'authorization: Bearer <token>' (pass --token-file FILE or --token TOKEN, or set CLAUDE_COMMS_TOKEN)\n",
    );
    for (const [args, env] of [
      [["--token-file", creds.tokenFile], {}],
      [["--token", creds.token], {}],
      [[], { CLAUDE_COMMS_TOKEN: creds.token }],
      [[], { CLAUDE_COMMS_TOKEN_FILE: creds.tokenFile }],
    ] as const) {
      const ok = await cli(temp.home, ["--json", "--address", address, ...args, "poll", "status"], env);
      expect(ok.stderr).toBe("");
      expect(JSON.parse(ok.stdout).pid).toBe(daemon.pid);
    }
  });

  it("requires the token for health and reflection too (buf curl sends it with --reflect-header '*')", async () => {
    const url = `http://${address}/grpc.health.v1.Health/Check`;
    const base = ["curl", "--protocol", "grpc", "--http2-prior-knowledge", "-d", "{}"];
    const without = await runProgram(BUF, [...base, url]);
    expect(without.code).not.toBe(0);
    const withToken = await runProgram(BUF, [...base, "-H", `authorization: Bearer ${creds.token}`, "--reflect-header", "*", url]);
    expect(withToken.stderr).toBe("");
    expect(JSON.parse(withToken.stdout)).toEqual({ status: "SERVING" });
  });

  it("stops on StopDaemon from a loopback TCP peer with the token", async () => {
    const stop = await cli(temp.home, ["--address", address, "--token-file", creds.tokenFile, "poll", "stop"]);
    expect(stop.stderr).toBe("");
    expect(stop.stdout).toBe(`daemon stopped (pid ${daemon.pid})\n`);
    expect(await daemon.exited).toBe(0);
  });
});

describe("TLS on TCP", () => {
  const temp = makeTempHome("cc-tls-");
  let creds: TestCredentials;
  let other: TestCredentials;
  let daemon: DaemonProcess;
  let plain: DaemonProcess;
  let address: string;

  beforeAll(async () => {
    creds = makeTestCredentials(temp.home);
    other = makeTestCredentials(temp.home, "other");
    fs.mkdirSync(`${temp.home}/tls`);
    fs.mkdirSync(`${temp.home}/plain`);
    const tls = ["--listen", "127.0.0.1:0", "--tls-cert", creds.cert, "--tls-key", creds.key];
    daemon = await startDaemonProcess(`${temp.home}/tls`, tls, { CLAUDE_COMMS_TOKEN: creds.token });
    plain = await startDaemonProcess(`${temp.home}/plain`, ["--listen", "127.0.0.1:0"]);
    address = daemon.listen[1]!;
  });

  afterAll(async () => {
    await Promise.all([daemon?.stop(), plain?.stop()]);
    temp.cleanup();
  });

  it("serves the CLI with --tls-ca and the token, by IP address and by name", async () => {
    const home = `${temp.home}/tls`;
    for (const target of [address, address.replace("127.0.0.1", "localhost")]) {
      const ok = await cli(home, ["--json", "--address", target, "--tls-ca", creds.cert, "--token-file", creds.tokenFile, "poll", "status"]);
      expect(ok.stderr).toBe("");
      expect(JSON.parse(ok.stdout).pid).toBe(daemon.pid);
    }
    const byEnv = await cli(home, ["--json", "poll", "status"], { CLAUDE_COMMS_ADDRESS: address, CLAUDE_COMMS_TLS_CA: creds.cert, CLAUDE_COMMS_TOKEN: creds.token });
    expect(JSON.parse(byEnv.stdout).pid).toBe(daemon.pid);
  });

  it("answers a plaintext client FAILED_PRECONDITION, telling it to use TLS", async () => {
    const client = createPollingClient({ address, token: creds.token, ...FAST });
    await expect(client.getDaemonStatus({})).rejects.toMatchObject({ code: Code.FailedPrecondition, rawMessage: expect.stringMatching(/^this daemon's TCP listener requires TLS/) });
    const res = await cli(`${temp.home}/tls`, ["--address", address, "--token-file", creds.tokenFile, "poll", "status"]);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(
      "claude-comms: this daemon's TCP listener requires TLS: connect with https:// and trust the daemon's certificate (claude-comms: --tls-ca FILE or CLAUDE_COMMS_TLS_CA)\n",
    );
  });

  it("says so when the daemon speaks no TLS, or its certificate is not the trusted one", async () => {
    const noTls = await cli(temp.home, ["--address", plain.listen[1]!, "--tls-ca", creds.cert, "poll", "status"]);
    expect(noTls.code).toBe(1);
    expect(noTls.stderr).toBe(
      `claude-comms: the daemon at ${plain.listen[1]} (TLS) does not speak TLS on that port: drop --tls-ca (and CLAUDE_COMMS_TLS_CA), or start the daemon with --tls-cert and --tls-key\n`,
    );
    const untrusted = await cli(temp.home, ["--address", address, "--tls-ca", other.cert, "--token-file", creds.tokenFile, "poll", "status"]);
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toMatch(/^claude-comms: cannot trust the TLS certificate of the daemon at .* \(TLS\): self-signed certificate \(pass --tls-ca with the CA/);
    const notPem = await cli(temp.home, ["--address", address, "--tls-ca", creds.tokenFile, "poll", "status"]);
    expect([notPem.code, notPem.stderr]).toEqual([2, `claude-comms: --tls-ca ${creds.tokenFile} is not a PEM certificate\n`]);
  });

  it("serves curl (Connect JSON) and buf curl (gRPC, reflection) over TLS with the token", async () => {
    const auth = `authorization: Bearer ${creds.token}`;
    const curl = await runProgram(requireTool("curl", "curl"), ["-sS", "--cacert", creds.cert, "-H", auth, "-H", "content-type: application/json", "-d", "{}", `https://${address}/grpc.health.v1.Health/Check`]);
    expect(JSON.parse(curl.stdout)).toEqual({ status: "SERVING" });
    const buf = await runProgram(BUF, ["curl", "--cacert", creds.cert, "-H", auth, "--reflect-header", "*", "-d", "{}", `https://${address}/grpc.health.v1.Health/Check`]);
    expect(buf.stderr).toBe("");
    expect(JSON.parse(buf.stdout)).toEqual({ status: "SERVING" });
  });

  it("refuses to start on a certificate and key that do not belong together", async () => {
    fs.mkdirSync(`${temp.home}/bad`);
    const start = startDaemonProcess(`${temp.home}/bad`, ["--listen", "127.0.0.1:0", "--tls-cert", creds.cert, "--tls-key", other.key]);
    await expect(start).rejects.toThrow(/cannot use --tls-cert .* with --tls-key .*: .*the key must belong to the certificate/);
  });
});

describe("poll start with access options", () => {
  const temp = makeTempHome("cc-pst-");
  let pid: number | undefined;
  afterAll(async () => {
    const stop = await cli(temp.home, ["poll", "stop"]); // the Unix socket needs no token
    if (stop.code !== 0 && pid) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    temp.cleanup();
  });

  it("refuses a non-loopback --listen without a token, saying why", async () => {
    const res = await cli(temp.home, ["poll", "start", "--listen", "0.0.0.0:0"]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^claude-comms: --listen 0\.0\.0\.0:0 is not a loopback address, so other machines could reach the daemon: set a bearer token/);
  });

  it("starts a TLS daemon that requires the CLI's token, logging text", async () => {
    const creds = makeTestCredentials(temp.home);
    const start = await cli(temp.home, [
      "--json", "--token-file", creds.tokenFile, "poll", "start", "--listen", "127.0.0.1:0",
      "--tls-cert", creds.cert, "--tls-key", creds.key, "--log-format", "text", "--log-level", "debug",
    ]);
    expect(start.stderr).toBe("");
    const ready = JSON.parse(start.stdout) as { pid: number; listen: string[] };
    pid = ready.pid;
    const status = await cli(temp.home, ["--json", "--address", ready.listen[1]!, "--tls-ca", creds.cert, "--token", creds.token, "poll", "status"]);
    expect(JSON.parse(status.stdout).pid).toBe(ready.pid);
    const refused = await cli(temp.home, ["--address", ready.listen[1]!, "--tls-ca", creds.cert, "poll", "status"]);
    expect(refused.stderr).toContain("missing bearer token");
    const log = fs.readFileSync(`${temp.home}/daemon.log`, "utf8");
    expect(log).toMatch(/^\S+Z INFO TCP listener address=127\.0\.0\.1:\d+ tls=true token=true$/m);
    expect(log).toMatch(/^\S+Z DEBUG request refused procedure=GetDaemonStatus code=Unauthenticated /m);
    expect(log).not.toContain(creds.token);
  });
});

describe("a daemon that cannot bind its TCP address", () => {
  const temp = makeTempHome("cc-bind-");
  const busy = net.createServer();
  afterAll(async () => {
    await new Promise((resolve) => busy.close(resolve));
    temp.cleanup();
  });

  it("says why, and leaves nothing behind: the same home starts again", async () => {
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const port = (busy.address() as net.AddressInfo).port;
    const config = (args: string[]) => parseDaemonConfig(["--home", temp.home, "--log-file", `${temp.home}/daemon.log`, ...args], {});
    await expect(Daemon.start(config(["--listen", `127.0.0.1:${port}`]))).rejects.toThrow(
      `cannot listen on 127.0.0.1:${port}: another process listens there (pick another port, or port 0 for a free one)`,
    );
    expect(fs.existsSync(`${temp.home}/daemon.sock`)).toBe(false);
    const daemon = await Daemon.start(config([]));
    await daemon.stop();
  });
});
