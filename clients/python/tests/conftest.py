"""Fixtures: a real claude-comms daemon in a fresh home, started and stopped through the CLI.

The tests need the built CLI (`npm run build`: dist/src/cli/bundle/main.js) and Node;
$CLAUDE_COMMS_NODE names the node binary (default: node on PATH).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterator, List

import pytest

from claude_comms import Client, connect

REPO = Path(__file__).resolve().parents[3]
CLI_MAIN = REPO / "dist" / "src" / "cli" / "bundle" / "main.js"
ECHO_AGENT = REPO / "examples" / "echo-agent.mjs"
NODE = os.environ.get("CLAUDE_COMMS_NODE", "node")
#: The command line claude_comms starts a daemon with (see claude_comms._start).
CLI_COMMAND = f"{shlex.quote(NODE)} {shlex.quote(str(CLI_MAIN))}"
TEST_TIMEOUT_S = 45


def run_cli(home: str, *args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    """Runs the claude-comms CLI on `home`; fails the test when it exits non-zero."""
    done = subprocess.run([NODE, str(CLI_MAIN), "--home", home, *args], capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"claude-comms {' '.join(args)} exited {done.returncode}: {done.stderr}"
    return done


class Daemon:
    """A daemon of the CLI (`poll start`, detached) on a home directory."""

    def __init__(self, home: str, args: List[str]):
        self.home, self.args, self.pid = home, args, 0

    def start(self) -> "Daemon":
        ready = json.loads(run_cli(self.home, "--json", "poll", "start", *self.args).stdout.splitlines()[0])
        self.pid = ready["pid"]
        self.listen = ready["listen"]
        return self

    def stop(self) -> None:
        """`poll stop`, then waits for the process to be gone (its lock released)."""
        run_cli(self.home, "poll", "stop")
        self.wait_gone()

    def wait_gone(self, within: float = 10) -> None:
        deadline = time.monotonic() + within
        while _alive(self.pid):
            assert time.monotonic() < deadline, f"daemon {self.pid} still running {within}s after stop"
            time.sleep(0.05)

    def kill(self) -> None:
        if self.pid and _alive(self.pid):
            os.kill(self.pid, signal.SIGKILL)
            self.wait_gone()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (our child after the CLI exited? no: the CLI's) counts as gone.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[-1][0] != "Z"
    except OSError:
        return False


@pytest.fixture(autouse=True)
def bounded() -> Iterator[None]:
    """Fails a test that runs longer than TEST_TIMEOUT_S instead of hanging the suite."""
    def expire(signum, frame):
        raise TimeoutError(f"test still running after {TEST_TIMEOUT_S}s")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(TEST_TIMEOUT_S)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def _temp_home() -> Iterator[str]:
    # Short: Unix socket paths are limited to ~100 bytes.
    path = tempfile.mkdtemp(prefix="ccpy-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


#: A fresh home directory for one test, with no daemon.
home = pytest.fixture(_temp_home)
_module_home = pytest.fixture(scope="module")(_temp_home)


@pytest.fixture(scope="module")
def daemon(_module_home: str) -> Iterator[Daemon]:
    """A running daemon with a fast poller, shared by the tests of a module (each uses its
    own ids); killed at the end."""
    started = Daemon(_module_home, ["--interval", "0.1"]).start()
    yield started
    started.kill()


@pytest.fixture
def client(daemon: Daemon) -> Iterator[Client]:
    """A client of `daemon`."""
    with connect(home=daemon.home) as c:
        yield c
