import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDaemonProcess, type DaemonProcess } from "./helpers/daemon-process.js";
import { requirePythonModules } from "./helpers/require-tool.js";
import { runProgram } from "./helpers/run.js";
import { makeTempHome } from "./helpers/temp-home.js";
import { makeTestCredentials, type TestCredentials } from "./helpers/tls.js";

/*
 * Another language against a real daemon: examples/python/watch_message.py (the claude_comms
 * package of clients/python from the checkout, over Debian's python3-grpcio and
 * python3-protobuf) adds a message, shows it and watches it to COMPLETE over the Unix socket,
 * TCP, and TLS with a token. `npm test` installs the Debian packages this needs.
 */

// Debian's interpreter: the default python3 here is another build that does not see python3-grpcio.
const PYTHON = "/usr/bin/python3";
const EXAMPLE = fileURLToPath(new URL("../examples/python/watch_message.py", import.meta.url));
const PACKAGE_SRC = fileURLToPath(new URL("../clients/python/src", import.meta.url));

describe("the Python example client", () => {
  const temp = makeTempHome("cc-py-");
  let creds: TestCredentials;
  let plain: DaemonProcess;
  let secure: DaemonProcess;

  beforeAll(async () => {
    requirePythonModules(PYTHON, ["grpc", "google.protobuf"], "python3-grpcio python3-protobuf");
    creds = makeTestCredentials(temp.home);
    fs.mkdirSync(`${temp.home}/p`);
    fs.mkdirSync(`${temp.home}/s`);
    const fast = ["--interval", "0.1", "--listen", "127.0.0.1:0"];
    plain = await startDaemonProcess(`${temp.home}/p`, fast);
    secure = await startDaemonProcess(`${temp.home}/s`, [...fast, "--tls-cert", creds.cert, "--tls-key", creds.key, "--token-file", creds.tokenFile]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([plain?.stop(), secure?.stop()]);
    temp.cleanup();
  });

  // The home is the temp dir: no token file of the user's own daemon is picked up.
  const python = (args: string[]) =>
    runProgram(PYTHON, [EXAMPLE, ...args], { timeoutMs: 30_000, env: { PYTHONPATH: PACKAGE_SRC, PYTHONDONTWRITEBYTECODE: "1", CLAUDE_COMMS_HOME: temp.home } });

  /** Checks the example's output: created, monitored, shown, then watched to COMPLETE in order. */
  function expectCompleted(stdout: string, id: string): void {
    const lines = stdout.trim().split("\n");
    expect(lines.slice(0, 3)).toEqual([
      `created ${id} in thread python-example`,
      `monitoring ${id} (times out in 60s)`,
      expect.stringMatching(/^show: PENDING, history: seq=\d+ CREATED PENDING 0 bytes, seq=\d+ REGISTERED PENDING 0 bytes$/),
    ]);
    const watched = lines.filter((l) => l.startsWith("watch: ")).map((l) => l.replace(/seq=\d+ /, ""));
    expect(watched[0]).toBe("watch: SNAPSHOT PENDING 0 bytes");
    expect(watched[1]).toBe("watch: STATUS_CHANGED PROCESSING 0 bytes");
    expect(watched.at(-1)).toBe("watch: STATUS_CHANGED COMPLETE 18 bytes");
    const seqs = lines.filter((l) => l.startsWith("watch: ")).map((l) => Number(/seq=(\d+)/.exec(l)![1]));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(lines.at(-1)).toBe(`done: ${id} COMPLETE`);
  }

  it("adds, shows and watches a message to COMPLETE over the Unix socket", async () => {
    const res = await python(["--home", `${temp.home}/p`, "--message", "py-unix"]);
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    expectCompleted(res.stdout, "py-unix");
  });

  it("does the same over TCP, with the token the daemon generated into its home", async () => {
    const res = await python(["--address", plain.listen[1]!, "--token-file", `${temp.home}/p/token`, "--message", "py-tcp"]);
    expect(res.stderr).toBe("");
    expectCompleted(res.stdout, "py-tcp");
  });

  it("does the same over TLS with the bearer token", async () => {
    const res = await python(["--address", secure.listen[1]!, "--tls-ca", creds.cert, "--token-file", creds.tokenFile, "--message", "py-tls"]);
    expect(res.stderr).toBe("");
    expectCompleted(res.stdout, "py-tls");
  });

  it("gets a clear error without the token, and in plaintext against the TLS listener", async () => {
    const noToken = await python(["--address", secure.listen[1]!, "--tls-ca", creds.cert]);
    expect([noToken.code, noToken.stderr]).toEqual([
      1,
      "error: UNAUTHENTICATED: missing bearer token: TCP requests to this daemon must carry the header 'authorization: Bearer <token>'\n",
    ]);
    const plaintext = await python(["--address", secure.listen[1]!, "--token-file", creds.tokenFile]);
    expect(plaintext.code).toBe(1);
    expect(plaintext.stderr).toMatch(/^error: FAILED_PRECONDITION: this daemon's TCP listener requires TLS: connect with https:\/\//);
  });
});
