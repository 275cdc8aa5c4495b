"""Where the daemon is and how to reach it: the same rules as the claude-comms CLI."""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass
from typing import Optional, Union

import grpc

# A daemon started without a token generates one here for its TCP listeners; the owner's
# clients send it to a loopback address (never across the network), as the CLI does.
TOKEN_FILE_NAME = "token"

# Reconnect quickly after a daemon restart: gRPC's default backoff grows to 2 minutes.
# (Not grpc.min_reconnect_backoff_ms: gRPC also uses it as the connect timeout.)
CHANNEL_OPTIONS = (
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 2000),
)


@dataclass(frozen=True)
class Target:
    """A resolved daemon address: the gRPC target, the token and the TLS authority."""

    grpc_target: str
    description: str
    token: Optional[str]
    tls_ca: Optional[bytes]

    def channel(self) -> grpc.Channel:
        """A new synchronous channel to the daemon."""
        if self.tls_ca is not None:
            creds = grpc.ssl_channel_credentials(root_certificates=self.tls_ca)
            return grpc.secure_channel(self.grpc_target, creds, options=CHANNEL_OPTIONS)
        return grpc.insecure_channel(self.grpc_target, options=CHANNEL_OPTIONS)

    def aio_channel(self) -> "grpc.aio.Channel":
        """A new asyncio channel to the daemon."""
        if self.tls_ca is not None:
            creds = grpc.ssl_channel_credentials(root_certificates=self.tls_ca)
            return grpc.aio.secure_channel(self.grpc_target, creds, options=CHANNEL_OPTIONS)
        return grpc.aio.insecure_channel(self.grpc_target, options=CHANNEL_OPTIONS)

    def metadata(self) -> tuple:
        """The call metadata: the bearer token when there is one."""
        return (("authorization", f"Bearer {self.token}"),) if self.token else ()


def resolve_home(home: Optional[str] = None) -> str:
    """The home directory: `home`, else $CLAUDE_COMMS_HOME, else ~/.claude-comms."""
    chosen = home or os.environ.get("CLAUDE_COMMS_HOME") or os.path.join(os.path.expanduser("~"), ".claude-comms")
    return os.path.abspath(chosen)


def socket_path(home: Optional[str] = None) -> str:
    """The daemon's Unix socket in the home directory."""
    return os.path.join(resolve_home(home), "daemon.sock")


def resolve_target(
    home: Optional[str] = None,
    address: Optional[str] = None,
    token: Optional[str] = None,
    tls_ca: Union[str, bytes, None] = None,
) -> Target:
    """Resolves the arguments of `connect` and the environment into a Target.

    address: HOST:PORT, else $CLAUDE_COMMS_ADDRESS, else the home's Unix socket.
    token: the argument, else $CLAUDE_COMMS_TOKEN, else $CLAUDE_COMMS_TOKEN_FILE, else, for
    a loopback address, <home>/token when it exists. tls_ca: PEM bytes or a file name, else
    $CLAUDE_COMMS_TLS_CA; used with an address only (the Unix socket never speaks TLS).
    """
    address = address or os.environ.get("CLAUDE_COMMS_ADDRESS") or None
    if not address:
        # The Unix socket needs no token (its 0600 mode is the access control).
        path = socket_path(home)
        return Target(f"unix:{path}", f"unix:{path}", _resolve_token(token, home, False), None)
    host = _check_address(address)
    bearer = _resolve_token(token, home, is_loopback(host))
    ca = _read_ca(tls_ca if tls_ca is not None else os.environ.get("CLAUDE_COMMS_TLS_CA") or None)
    return Target(address, f"{address} (TLS)" if ca else address, bearer, ca)


def is_loopback(host: str) -> bool:
    """True for localhost, 127.0.0.0/8, ::1 and IPv4-mapped 127.x."""
    bare = host.strip("[]").lower()
    if bare == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(bare)
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return (mapped or ip).is_loopback


def _resolve_token(token: Optional[str], home: Optional[str], home_file: bool) -> Optional[str]:
    # home_file: the home's generated token may be sent (to a loopback address only).
    if token:
        return _check_token(token, "the token argument")
    env_token, env_file = os.environ.get("CLAUDE_COMMS_TOKEN"), os.environ.get("CLAUDE_COMMS_TOKEN_FILE")
    if env_token and env_file:
        raise ValueError("both CLAUDE_COMMS_TOKEN and CLAUDE_COMMS_TOKEN_FILE are set: unset one of them")
    if env_token:
        return _check_token(env_token, "CLAUDE_COMMS_TOKEN")
    if env_file:
        return read_token_file(env_file, "CLAUDE_COMMS_TOKEN_FILE")
    path = os.path.join(resolve_home(home), TOKEN_FILE_NAME)
    return read_token_file(path, "the daemon's home") if home_file and os.path.isfile(path) else None


def read_token_file(path: str, source: str) -> str:
    """The first line of a token file, surrounding whitespace removed."""
    try:
        with open(path, encoding="utf-8") as f:
            first = f.readline()
    except OSError as error:
        raise ValueError(f"cannot read the token file {path} ({source}): {error.strerror}") from None
    return _check_token(first, f"{source} {path}")


def _check_token(token: str, source: str) -> str:
    # A header value cannot carry spaces or control characters, so such a token never matches.
    trimmed = token.strip()
    if not trimmed:
        raise ValueError(f"the token from {source} is empty")
    if not re.fullmatch(r"[\x21-\x7e]+", trimmed):
        raise ValueError(f"the token from {source} has spaces or non-ASCII characters: use printable ASCII")
    return trimmed


def _check_address(address: str) -> str:
    """Validates HOST:PORT (IPv6 hosts in brackets); returns the host."""
    match = re.fullmatch(r"(\[[0-9a-fA-F:.]+\]|[^:\s/\[\]]+):(\d{1,5})", address)
    if not match or int(match.group(2)) > 65535:
        raise ValueError(f'invalid address "{address}": use HOST:PORT, for example 127.0.0.1:7777')
    return match.group(1)


def _read_ca(tls_ca: Union[str, bytes, None]) -> Optional[bytes]:
    if tls_ca is None or isinstance(tls_ca, bytes):
        return tls_ca
    try:
        with open(tls_ca, "rb") as f:
            pem = f.read()
    except OSError as error:
        raise ValueError(f"cannot read the TLS CA file {tls_ca}: {error.strerror}") from None
    if b"-----BEGIN CERTIFICATE-----" not in pem:
        raise ValueError(f"the TLS CA file {tls_ca} is not a PEM certificate")
    return pem
