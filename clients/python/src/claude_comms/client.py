"""The synchronous client: `connect()` and a `Client` with a method for every RPC."""

from __future__ import annotations

import time
from typing import Any, Iterable, Mapping, Optional, Union

import grpc

from claude_comms._convert import duration
from claude_comms._resume import Resume
from claude_comms._rpcs import DEFAULT_TIMEOUT, MESSAGES, MODULES, POLLING, Rpcs
from claude_comms._target import Target, resolve_target
from claude_comms.errors import Unavailable, from_rpc_error
from claude_comms.status import StatusLike, status_value
from claude_comms.v1 import message_service_pb2_grpc, module_service_pb2_grpc
from claude_comms.v1 import polling_service_pb2 as ps
from claude_comms.v1 import polling_service_pb2_grpc
from claude_comms.watch import Watch

#: How long a watch or a wait keeps reconnecting to a daemon that went away (seconds).
RECONNECT_FOR = 60.0
# A wait's call outlives its server-side timeout by this much, so the daemon answers first.
WAIT_MARGIN = 5.0


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
        self._stubs = {
            POLLING: polling_service_pb2_grpc.PollingServiceStub(self._channel),
            MESSAGES: message_service_pb2_grpc.MessageServiceStub(self._channel),
            MODULES: module_service_pb2_grpc.ModuleServiceStub(self._channel),
        }

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
        stub = self._stubs[POLLING]

        def open_stream(after: Optional[int], remaining: Optional[float]) -> grpc.Call:
            request = ps.WatchMessageRequest(message_id=message_id, after_seq=after)
            return stub.WatchMessage(request, timeout=remaining, metadata=self.target.metadata())

        return Watch(open_stream, Resume(after_seq, reconnect_for, _deadline(timeout)), heartbeats, self.target.description)

    def watch_many(self, message_ids: Iterable[str] = (), thread_id: str = "", statuses: Iterable[StatusLike] = (),
                   module: str = "", labels: Optional[Mapping[str, str]] = None, after_seq: Optional[int] = None,
                   *, heartbeats: bool = False, timeout: Optional[float] = None,
                   reconnect_for: Optional[float] = RECONNECT_FOR) -> Watch:
        """The events of many messages over one stream (filters combine with AND; empty
        matches all), from now on or, with `after_seq`, replaying every later one. Never
        ends by itself; resumes after a daemon restart. See Watch."""
        stub = self._stubs[POLLING]
        base = watch_many_request(message_ids, thread_id, statuses, module, labels)

        def open_stream(after: Optional[int], remaining: Optional[float]) -> grpc.Call:
            request = ps.WatchMessagesRequest()
            request.CopyFrom(base)
            if after is not None:
                request.after_seq = after
            return stub.WatchMessages(request, timeout=remaining, metadata=self.target.metadata())

        return Watch(open_stream, Resume(after_seq, reconnect_for, _deadline(timeout)), heartbeats, self.target.description)

    def wait(self, message_id: str, timeout: Optional[float] = None,
             *, reconnect_for: Optional[float] = RECONNECT_FOR) -> ps.WaitMessageResponse:
        """Waits until the message is terminal (`finished` True) or `timeout` seconds pass
        (`finished` False); reconnects when the daemon restarts meanwhile."""
        resume = Resume(None, reconnect_for, _deadline(timeout))
        while True:
            left = resume.remaining()
            request = ps.WaitMessageRequest(message_id=message_id, timeout=duration(max(left, 0.001)) if left is not None else None)
            try:
                return self._stubs[POLLING].WaitMessage(request, timeout=None if left is None else left + WAIT_MARGIN,
                                                        metadata=self.target.metadata())
            except grpc.RpcError as error:
                delay = resume.retry_delay(error.code())
                if delay is None or resume.expired():
                    raise from_rpc_error(error, self.target.description) from None
                time.sleep(delay)


def watch_many_request(message_ids: Iterable[str], thread_id: str, statuses: Iterable[StatusLike],
                       module: str, labels: Optional[Mapping[str, str]]) -> ps.WatchMessagesRequest:
    """The filter part of a WatchMessages request (after_seq is set per attempt)."""
    return ps.WatchMessagesRequest(message_ids=list(message_ids), thread_id=thread_id,
                                   statuses=[status_value(s) for s in statuses], module=module,
                                   labels=dict(labels or {}))


def _deadline(timeout: Optional[float]) -> Optional[float]:
    return None if timeout is None else time.monotonic() + timeout
