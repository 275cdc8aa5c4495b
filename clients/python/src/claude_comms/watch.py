"""Watch: an iterator over a resuming event stream that another thread may cancel."""

from __future__ import annotations

import threading
from typing import Callable, Iterator, Optional

import grpc

from claude_comms._resume import Resume
from claude_comms.errors import from_rpc_error
from claude_comms.v1 import message_pb2

#: Opens one stream attempt: (after_seq or None, call timeout or None) -> a streaming call.
OpenStream = Callable[[Optional[int], Optional[float]], grpc.Call]


class Watch:
    """Events of WatchMessage or WatchMessages, resumed by seq across daemon restarts.

    Iterate it for `Event`s (claude_comms.v1.message_pb2.Event). A watch of one message ends
    after its terminal event; a watch of many never ends by itself. Either ends quietly at
    its `timeout` or on `cancel()` (callable from any thread), and raises a ClaudeCommsError
    when the daemon refuses it or stays away longer than `reconnect_for`. `last_seq` is where
    to resume a later watch (`after_seq=`).
    """

    def __init__(self, open_stream: OpenStream, resume: Resume, heartbeats: bool, target: str):
        self._open = open_stream
        self._resume = resume
        self._heartbeats = heartbeats
        self._target = target
        self._cancelled = threading.Event()
        self._lock = threading.Lock()
        self._call: Optional[grpc.Call] = None
        self._events = self._run()

    @property
    def last_seq(self) -> Optional[int]:
        """The seq the watch has been brought up to (None before its first event)."""
        return self._resume.after_seq

    def __iter__(self) -> Iterator[message_pb2.Event]:
        return self

    def __next__(self) -> message_pb2.Event:
        return next(self._events)

    def __enter__(self) -> "Watch":
        return self

    def __exit__(self, *exc: object) -> None:
        self.cancel()

    def cancel(self) -> None:
        """Ends the watch: the iteration stops (from any thread). Idempotent."""
        self._cancelled.set()
        with self._lock:
            if self._call is not None:
                self._call.cancel()

    def _run(self) -> Iterator[message_pb2.Event]:
        resume = self._resume
        while not self._cancelled.is_set() and not resume.expired():
            call = self._start(resume)
            try:
                for response in call:
                    resume.saw(response.event)
                    if self._heartbeats or response.event.kind != message_pb2.EVENT_KIND_HEARTBEAT:
                        yield response.event
                return  # the stream ended OK: the message reached its terminal status
            except grpc.RpcError as error:
                if self._cancelled.is_set() or resume.expired():
                    return
                delay = resume.retry_delay(error.code())
                if delay is None:
                    raise from_rpc_error(error, self._target) from None
                self._cancelled.wait(delay)
            finally:
                call.cancel()

    def _start(self, resume: Resume) -> grpc.Call:
        call = self._open(resume.after_seq, resume.remaining())
        with self._lock:
            self._call = call
        if self._cancelled.is_set():
            call.cancel()
        return call
