"""The asyncio client (grpc.aio): the same methods as claude_comms.Client, awaitable.

    from claude_comms import aio
    async with aio.connect() as client:
        await client.create_message("t1", "m1")
        async for event in client.watch("m1"):
            ...
"""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator, Callable, Iterable, Mapping, Optional, Union

import grpc
import grpc.aio

from claude_comms._convert import duration
from claude_comms._resume import Resume
from claude_comms._rpcs import DEFAULT_TIMEOUT, MESSAGES, MODULES, POLLING, Rpcs
from claude_comms._target import Target, resolve_target
from claude_comms.client import RECONNECT_FOR, WAIT_MARGIN, _deadline, watch_many_request
from claude_comms.errors import from_rpc_error
from claude_comms.status import StatusLike
from claude_comms.v1 import message_pb2, message_service_pb2_grpc, module_service_pb2_grpc
from claude_comms.v1 import polling_service_pb2 as ps
from claude_comms.v1 import polling_service_pb2_grpc

AsyncOpenStream = Callable[[Optional[int], Optional[float]], Any]


def connect(home: Optional[str] = None, address: Optional[str] = None, token: Optional[str] = None,
            tls_ca: Union[str, bytes, None] = None) -> "AsyncClient":
    """An asyncio client, found as claude_comms.connect finds the daemon (call it inside a running loop)."""
    return AsyncClient(resolve_target(home, address, token, tls_ca))


class AsyncClient(Rpcs):
    """claude_comms.Client for asyncio: every RPC method returns an awaitable of its response;
    watch() and watch_many() are async iterators; wait() a coroutine."""

    def __init__(self, target: Target):
        self.target = target
        self._channel = target.aio_channel()
        self._stubs = {
            POLLING: polling_service_pb2_grpc.PollingServiceStub(self._channel),
            MESSAGES: message_service_pb2_grpc.MessageServiceStub(self._channel),
            MODULES: module_service_pb2_grpc.ModuleServiceStub(self._channel),
        }

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Closes the channel; open watches end."""
        await self._channel.close()

    async def _call(self, rpc: Any, request: Any, timeout: Optional[float]) -> Any:
        try:
            return await rpc(request, timeout=DEFAULT_TIMEOUT if timeout is None else timeout, metadata=self.target.metadata())
        except grpc.RpcError as error:
            raise from_rpc_error(error, self.target.description) from None

    def _unary(self, service: str, method: str, request: Any, timeout: Optional[float]) -> Any:
        return self._call(getattr(self._stubs[service], method), request, timeout)

    def watch(self, message_id: str, after_seq: Optional[int] = None, *, heartbeats: bool = False,
              timeout: Optional[float] = None, reconnect_for: Optional[float] = RECONNECT_FOR) -> "AsyncWatch":
        """As Client.watch, as an async iterator."""
        stub = self._stubs[POLLING]

        def open_stream(after: Optional[int], remaining: Optional[float]) -> Any:
            request = ps.WatchMessageRequest(message_id=message_id, after_seq=after)
            return stub.WatchMessage(request, timeout=remaining, metadata=self.target.metadata())

        return AsyncWatch(open_stream, Resume(after_seq, reconnect_for, _deadline(timeout)), heartbeats, self.target.description)

    def watch_many(self, message_ids: Iterable[str] = (), thread_id: str = "", statuses: Iterable[StatusLike] = (),
                   module: str = "", labels: Optional[Mapping[str, str]] = None, after_seq: Optional[int] = None,
                   *, heartbeats: bool = False, timeout: Optional[float] = None,
                   reconnect_for: Optional[float] = RECONNECT_FOR) -> "AsyncWatch":
        """As Client.watch_many, as an async iterator."""
        stub = self._stubs[POLLING]
        base = watch_many_request(message_ids, thread_id, statuses, module, labels)

        def open_stream(after: Optional[int], remaining: Optional[float]) -> Any:
            request = ps.WatchMessagesRequest()
            request.CopyFrom(base)
            if after is not None:
                request.after_seq = after
            return stub.WatchMessages(request, timeout=remaining, metadata=self.target.metadata())

        return AsyncWatch(open_stream, Resume(after_seq, reconnect_for, _deadline(timeout)), heartbeats, self.target.description)

    async def wait(self, message_id: str, timeout: Optional[float] = None,
                   *, reconnect_for: Optional[float] = RECONNECT_FOR) -> ps.WaitMessageResponse:
        """As Client.wait."""
        resume = Resume(None, reconnect_for, _deadline(timeout))
        while True:
            left = resume.remaining()
            request = ps.WaitMessageRequest(message_id=message_id, timeout=duration(max(left, 0.001)) if left is not None else None)
            try:
                return await self._stubs[POLLING].WaitMessage(request, timeout=None if left is None else left + WAIT_MARGIN,
                                                              metadata=self.target.metadata())
            except grpc.RpcError as error:
                delay = resume.retry_delay(error.code())
                if delay is None or resume.expired():
                    raise from_rpc_error(error, self.target.description) from None
                await asyncio.sleep(delay)


class AsyncWatch:
    """claude_comms.Watch for asyncio: `async for event in watch`; cancel() ends it."""

    def __init__(self, open_stream: AsyncOpenStream, resume: Resume, heartbeats: bool, target: str):
        self._open = open_stream
        self._resume = resume
        self._heartbeats = heartbeats
        self._target = target
        self._cancelled = asyncio.Event()
        self._call: Any = None
        self._events = self._run()

    @property
    def last_seq(self) -> Optional[int]:
        """The seq the watch has been brought up to (None before its first event)."""
        return self._resume.after_seq

    def __aiter__(self) -> AsyncIterator[message_pb2.Event]:
        return self

    async def __anext__(self) -> message_pb2.Event:
        return await self._events.__anext__()

    def cancel(self) -> None:
        """Ends the watch (from the loop's thread). Idempotent."""
        self._cancelled.set()
        if self._call is not None:
            self._call.cancel()

    async def _run(self) -> AsyncIterator[message_pb2.Event]:
        resume = self._resume
        while not self._cancelled.is_set() and not resume.expired():
            self._call = call = self._open(resume.after_seq, resume.remaining())
            try:
                async for response in call:
                    resume.saw(response.event)
                    if self._heartbeats or response.event.kind != message_pb2.EVENT_KIND_HEARTBEAT:
                        yield response.event
                return  # the stream ended OK: the message reached its terminal status
            except (grpc.RpcError, asyncio.CancelledError) as error:
                if self._cancelled.is_set() or resume.expired():
                    return
                delay = resume.retry_delay(error.code()) if isinstance(error, grpc.RpcError) else None
                if delay is None:
                    if isinstance(error, grpc.RpcError):
                        raise from_rpc_error(error, self._target) from None
                    raise
                await _sleep_unless(self._cancelled, delay)
            finally:
                call.cancel()


async def _sleep_unless(event: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(event.wait(), seconds)
    except asyncio.TimeoutError:
        pass
