"""Starting a local daemon through the claude-comms CLI, as the original tool started its own."""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from typing import List, Optional

from claude_comms.client import Client
from claude_comms.errors import Unavailable

# `poll start` returns once the daemon reports ready; it gives up itself after 15 s.
CLI_TIMEOUT = 30.0


def cli_command() -> List[str]:
    """The CLI to run: $CLAUDE_COMMS_CLI (a command line, e.g. "node /…/main.js"), else claude-comms."""
    return shlex.split(os.environ.get("CLAUDE_COMMS_CLI") or "claude-comms")


def ensure_daemon(client: Client, home: Optional[str], address: Optional[str]) -> None:
    """Returns once a daemon answers `client`; starts one with `claude-comms poll start` when
    none does and the client dials the home's Unix socket (a TCP address is someone else's)."""
    try:
        client.get_daemon_status(timeout=5)
        return
    except Unavailable:
        if address or os.environ.get("CLAUDE_COMMS_ADDRESS"):
            raise
    command = cli_command() + (["--home", home] if home else []) + ["poll", "start"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=CLI_TIMEOUT, check=False)
    except FileNotFoundError:
        raise Unavailable(f"no daemon answers at {client.target.description}, and the claude-comms CLI to start one "
                          f"is not on PATH ({command[0]}): install it, or set CLAUDE_COMMS_CLI") from None
    if done.returncode != 0:
        raise Unavailable(f"`{shlex.join(command)}` failed (exit {done.returncode}): {done.stderr.strip()}")
    _await_answer(client)


def _await_answer(client: Client, within: float = 10.0) -> None:
    # The CLI returns when the daemon is ready; a short retry covers a daemon started by a racer.
    deadline = time.monotonic() + within
    while True:
        try:
            client.get_daemon_status(timeout=5)
            return
        except Unavailable:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
