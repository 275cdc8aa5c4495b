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

from claude_comms._resume import Resume
from claude_comms._rpcs import (DEFAULT_TIMEOUT, POLLING, Rpcs, stubs_of, wait_call_timeout, wait_request,
                                watch_many_requests, watch_requests)
from claude_comms._target import Target, resolve_target
from claude_comms.client import RECONNECT_FOR, deadline_in
from claude_comms.errors import from_rpc_error
from claude_comms.status import StatusLike
from claude_comms.v1 import message_pb2
from claude_comms.v1 import polling_service_pb2 as ps

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
        self._stubs = stubs_of(self._channel)

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
        return self._watch("WatchMessage", watch_requests(message_id), after_seq, heartbeats, timeout, reconnect_for)

    def watch_many(self, message_ids: Iterable[str] = (), thread_id: str = "", statuses: Iterable[StatusLike] = (),
                   module: str = "", labels: Optional[Mapping[str, str]] = None, after_seq: Optional[int] = None,
                   *, heartbeats: bool = False, timeout: Optional[float] = None,
                   reconnect_for: Optional[float] = RECONNECT_FOR) -> "AsyncWatch":
        """As Client.watch_many, as an async iterator."""
        requests = watch_many_requests(message_ids, thread_id, statuses, module, labels)
        return self._watch("WatchMessages", requests, after_seq, heartbeats, timeout, reconnect_for)

    def _watch(self, method: str, requests: Callable[[Optional[int]], Any], after_seq: Optional[int],
               heartbeats: bool, timeout: Optional[float], reconnect_for: Optional[float]) -> "AsyncWatch":
        rpc = getattr(self._stubs[POLLING], method)

        def open_stream(after: Optional[int], remaining: Optional[float]) -> Any:
            return rpc(requests(after), timeout=remaining, metadata=self.target.metadata())

        return AsyncWatch(open_stream, Resume(after_seq, reconnect_for, deadline_in(timeout)), heartbeats, self.target.description)

    async def wait(self, message_id: str, timeout: Optional[float] = None,
                   *, reconnect_for: Optional[float] = RECONNECT_FOR) -> ps.WaitMessageResponse:
        """As Client.wait."""
        resume = Resume(None, reconnect_for, deadline_in(timeout))
        while True:
            left = resume.remaining()
            try:
                return await self._stubs[POLLING].WaitMessage(wait_request(message_id, left), timeout=wait_call_timeout(left),
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
