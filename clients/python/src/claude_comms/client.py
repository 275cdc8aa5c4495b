"""The synchronous client: `connect()` and a `Client` with a method for every RPC."""

from __future__ import annotations

import time
from typing import Any, Callable, Iterable, Mapping, Optional, Union

import grpc

from claude_comms._resume import Resume
from claude_comms._rpcs import (DEFAULT_TIMEOUT, POLLING, Rpcs, stubs_of, wait_call_timeout, wait_request,
                                watch_many_requests, watch_requests)
from claude_comms._target import Target, resolve_target
from claude_comms.errors import Unavailable, from_rpc_error
from claude_comms.status import StatusLike
from claude_comms.v1 import polling_service_pb2 as ps
from claude_comms.watch import Watch

#: How long a watch or a wait keeps reconnecting to a daemon that went away (seconds).
RECONNECT_FOR = 60.0


def connect(home: Optional[str] = None, address: Optional[str] = None, token: Optional[str] = None,
            tls_ca: Union[str, bytes, None] = None) -> "Client":
    """A client of the daemon, found as the claude-comms CLI finds it.

    Without `address` (or $CLAUDE_COMMS_ADDRESS): the Unix socket `daemon.sock` in `home`
    ($CLAUDE_COMMS_HOME, default ~/.claude-comms). The token: `token`, else
    $CLAUDE_COMMS_TOKEN, else the file $CLAUDE_COMMS_TOKEN_FILE, else `<home>/token` when it
    exists. `tls_ca` (PEM bytes or a file; default $CLAUDE_COMMS_TLS_CA): TLS to `address`.
    Connects lazily: a missing daemon shows as `Unavailable` on the first call.
    """
    return Client(resolve_target(home, address, token, tls_ca))


class Client(Rpcs):
    """A connection to one daemon. Use it as a context manager, or call close()."""

    def __init__(self, target: Target):
        self.target = target
        self._channel = target.channel()
        self._stubs = stubs_of(self._channel)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Closes the channel; open watches end. Idempotent."""
        self._channel.close()

    def wait_until_ready(self, timeout: float = 10.0) -> None:
        """Returns once the channel is connected (e.g. after a daemon restart: calls fail fast
        with Unavailable until the channel reconnects); raises Unavailable after `timeout`."""
        try:
            grpc.channel_ready_future(self._channel).result(timeout=timeout)
        except grpc.FutureTimeoutError:
            raise Unavailable(f"daemon not running at {self.target.description} "
                              f"(start it with: claude-comms poll start): not connected within {timeout}s") from None

    def _unary(self, service: str, method: str, request: Any, timeout: Optional[float]) -> Any:
        rpc = getattr(self._stubs[service], method)
        try:
            return rpc(request, timeout=DEFAULT_TIMEOUT if timeout is None else timeout, metadata=self.target.metadata())
        except grpc.RpcError as error:
            raise from_rpc_error(error, self.target.description) from None

    def watch(self, message_id: str, after_seq: Optional[int] = None, *, heartbeats: bool = False,
              timeout: Optional[float] = None, reconnect_for: Optional[float] = RECONNECT_FOR) -> Watch:
        """The events of one message: a snapshot first (or, with `after_seq`, every later
        event), then live events in seq order until its terminal event. Resumes after a
        daemon restart without missing or repeating an event. See Watch."""
        return self._watch("WatchMessage", watch_requests(message_id), after_seq, heartbeats, timeout, reconnect_for)

    def watch_many(self, message_ids: Iterable[str] = (), thread_id: str = "", statuses: Iterable[StatusLike] = (),
                   module: str = "", labels: Optional[Mapping[str, str]] = None, after_seq: Optional[int] = None,
                   *, heartbeats: bool = False, timeout: Optional[float] = None,
                   reconnect_for: Optional[float] = RECONNECT_FOR) -> Watch:
        """The events of many messages over one stream (filters combine with AND; empty
        matches all), from now on or, with `after_seq`, replaying every later one. Never
        ends by itself; resumes after a daemon restart. See Watch."""
        requests = watch_many_requests(message_ids, thread_id, statuses, module, labels)
        return self._watch("WatchMessages", requests, after_seq, heartbeats, timeout, reconnect_for)

    def _watch(self, method: str, requests: Callable[[Optional[int]], Any], after_seq: Optional[int],
               heartbeats: bool, timeout: Optional[float], reconnect_for: Optional[float]) -> Watch:
        rpc = getattr(self._stubs[POLLING], method)

        def open_stream(after: Optional[int], remaining: Optional[float]) -> grpc.Call:
            return rpc(requests(after), timeout=remaining, metadata=self.target.metadata())

        return Watch(open_stream, Resume(after_seq, reconnect_for, deadline_in(timeout)), heartbeats, self.target.description)

    def wait(self, message_id: str, timeout: Optional[float] = None,
             *, reconnect_for: Optional[float] = RECONNECT_FOR) -> ps.WaitMessageResponse:
        """Waits until the message is terminal (`finished` True) or `timeout` seconds pass
        (`finished` False); reconnects when the daemon restarts meanwhile."""
        resume = Resume(None, reconnect_for, deadline_in(timeout))
        while True:
            left = resume.remaining()
            try:
                return self._stubs[POLLING].WaitMessage(wait_request(message_id, left), timeout=wait_call_timeout(left),
                                                        metadata=self.target.metadata())
            except grpc.RpcError as error:
                delay = resume.retry_delay(error.code())
                if delay is None or resume.expired():
                    raise from_rpc_error(error, self.target.description) from None
                time.sleep(delay)


def deadline_in(timeout: Optional[float]) -> Optional[float]:
    """The monotonic time `timeout` seconds from now (None stays None)."""
    return None if timeout is None else time.monotonic() + timeout
