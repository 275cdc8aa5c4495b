import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runProgram } from "./helpers/run.js";
import { makeTempHome } from "./helpers/temp-home.js";

/*
 * clients/python, the claude_comms package: its committed stubs equal what generate.sh makes
 * from proto/, it installs from the checkout with pip (offline, into a venv over Debian's
 * python3-grpcio, python3-protobuf and python3-pytest), and its pytest suite passes against
 * real daemons started through the built CLI. One `it` per pytest module; a failing pytest
 * fails here with its output. .ci/run installs the Debian packages.
 */

// Debian's interpreter: the default python3 here is another build that does not see Debian's packages.
const PYTHON = "/usr/bin/python3";
const PACKAGE = fileURLToPath(new URL("../clients/python", import.meta.url));
const PYTEST_MODULES = ["test_client.py", "test_errors.py", "test_original.py", "test_restart.py", "test_aio.py"];
// A pytest module starts daemons and restarts them: generous on a loaded 2-core machine.
const MODULE_TIMEOUT_MS = 240_000;

/** Every file under `dir`, relative to it, sorted. */
function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((name) => fs.statSync(path.join(dir, name)).isFile() && !name.includes("__pycache__"))
    .sort();
}

describe("the Python package clients/python", () => {
  const temp = makeTempHome("cc-pypkg-");
  const venvPython = path.join(temp.home, "venv", "bin", "python");

  beforeAll(async () => {
    const probe = await runProgram(PYTHON, ["-c", "import grpc, google.protobuf, pytest, venv"]);
    if (probe.code !== 0) {
      throw new Error(`${PYTHON} lacks a module the Python client tests need (apt-get install python3-grpcio python3-protobuf python3-pytest python3-venv; .ci/run does): ${probe.stderr}`);
    }
    const venv = await runProgram(PYTHON, ["-m", "venv", "--system-site-packages", path.join(temp.home, "venv")], { timeoutMs: 120_000 });
    if (venv.code !== 0) throw new Error(`python3 -m venv failed: ${venv.stderr}`);
    // pip builds in the source tree: install from a copy, so the checkout stays clean.
    const copy = path.join(temp.home, "src");
    fs.cpSync(PACKAGE, copy, { recursive: true, filter: (from) => !from.includes("__pycache__") });
    const pip = await runProgram(venvPython, ["-m", "pip", "install", "--no-build-isolation", "--no-index", "--no-cache-dir", "--quiet", copy], {
      timeoutMs: 180_000,
      env: { PIP_DISABLE_PIP_VERSION_CHECK: "1" },
    });
    if (pip.code !== 0) throw new Error(`pip install ./clients/python failed (grpcio and protobuf must already be installed): ${pip.stderr}`);
  }, 300_000);

  afterAll(() => temp.cleanup());

  it("has committed stubs equal to what generate.sh makes from proto/", async () => {
    const out = path.join(temp.home, "generated");
    const generated = await runProgram(path.join(PACKAGE, "generate.sh"), [out], { timeoutMs: 60_000 });
    expect(generated.stderr).toBe("");
    expect(generated.code).toBe(0);
    const fresh = path.join(out, "claude_comms", "v1");
    const committed = path.join(PACKAGE, "src", "claude_comms", "v1");
    expect(filesUnder(committed)).toEqual(filesUnder(fresh));
    for (const name of filesUnder(fresh)) {
      const same = fs.readFileSync(path.join(fresh, name), "utf8") === fs.readFileSync(path.join(committed, name), "utf8");
      expect(same, `clients/python/src/claude_comms/v1/${name} differs from generate.sh's output: run clients/python/generate.sh`).toBe(true);
    }
  }, 90_000);

  it("imports the installed package with Debian's protobuf runtime", async () => {
    const res = await runProgram(venvPython, ["-c", [
      "import claude_comms, google.protobuf, grpc",
      "from claude_comms.v1 import polling_service_pb2 as p",
      "assert claude_comms.__file__.startswith(__import__('sys').prefix), claude_comms.__file__",
      "print(google.protobuf.__version__, grpc.__version__, p.WatchMessageRequest(after_seq=0).HasField('after_seq'))",
    ].join("\n")], { cwd: temp.home });
    expect(res.stderr).toBe("");
    // protoc 3.21 stubs need protobuf 4.21+ (Debian 12: 4.21.12); after_seq is proto3 optional.
    expect(res.stdout).toMatch(/^([4-9]|\d{2,})\.\d+\.\d+ 1\.\d+\.\d+ True\n$/);
  });

  for (const module of PYTEST_MODULES) {
    it(`passes pytest ${module} against a real daemon`, async () => {
      const res = await runProgram(venvPython, ["-m", "pytest", `tests/${module}`, "-q", "-p", "no:cacheprovider"], {
        cwd: PACKAGE,
        timeoutMs: MODULE_TIMEOUT_MS,
        env: {
          PYTHONDONTWRITEBYTECODE: "1",
          CLAUDE_COMMS_NODE: process.execPath,
          CLAUDE_COMMS_HOME: "",
          CLAUDE_COMMS_ADDRESS: "",
          CLAUDE_COMMS_TOKEN: "",
          CLAUDE_COMMS_TOKEN_FILE: "",
          CLAUDE_COMMS_TLS_CA: "",
        },
      });
      const summary = res.stdout.trim().split("\n").at(-1) ?? "";
      if (res.code !== 0) throw new Error(`pytest ${module} exited ${res.code ?? res.signal}:\n${res.stdout}\n${res.stderr}`);
      expect(summary, res.stdout).toMatch(/^\d+ passed in /);
      console.log(`clients/python/tests/${module}: ${summary}`);
    }, MODULE_TIMEOUT_MS + 10_000);
  }
});
