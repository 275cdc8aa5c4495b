"""The original `claude_comms.background.polling_daemon`: callbacks when messages finish.

One WatchMessages stream carries the daemon's events (resumed by seq across daemon
restarts); the callbacks of every message run on one background thread, in event order. A
second thread only reads the stream into that thread's queue, so a slow callback delays the
callbacks after it but never the stream (which the daemon would end as too slow).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, Tuple, Union

from claude_comms._start import ensure_daemon
from claude_comms.client import Client, connect
from claude_comms.errors import ClaudeCommsError, NotFound
from claude_comms.status import is_finished, status_name
from claude_comms.v1 import message_pb2

log = logging.getLogger("claude_comms.polling_daemon")

OnComplete = Callable[[str, str], Any]
OnStatusChange = Callable[[str, str, str], Any]
_STOP = object()
JOIN_TIMEOUT = 5.0


@dataclass
class _Entry:
    thread_id: str
    on_complete: Optional[OnComplete]
    on_status_change: Optional[OnStatusChange]
    status: Optional[str]
    added_at: float


class PollingDaemon:
    """Registers messages with the daemon and calls back when their status changes.

    `on_complete(message_id, response)` runs once, when the message completes, with its
    content. `on_status_change(message_id, old_status, new_status)` runs for every status
    change (lowercase names), including failed, timed_out and cancelled; after any terminal
    status the message leaves get_active_messages(). Callbacks run on one background thread,
    in event order; an exception in one is logged and does not stop the others.
    """

    def __init__(self, home: Optional[str] = None, address: Optional[str] = None, token: Optional[str] = None,
                 tls_ca: Union[str, bytes, None] = None):
        self._home, self._address = home, address
        self._client: Client = connect(home, address, token, tls_ca)
        self._active: Dict[str, _Entry] = {}
        self._lock = threading.Lock()
        self._queue: "queue.Queue[Any]" = queue.Queue()
        self._watch = None
        self._threads: Tuple[threading.Thread, ...] = ()
        self._closed = False
        #: Why the event stream ended, if it ended on an error (the daemon refused it).
        self.error: Optional[ClaudeCommsError] = None

    def start(self) -> None:
        """Connects (starting a local daemon through the claude-comms CLI when none answers)
        and opens the event stream. Idempotent."""
        with self._lock:
            if self._closed:
                raise RuntimeError("this polling daemon was shut down: call get_polling_daemon() for a new one")
            if self._threads:
                return
            ensure_daemon(self._client, self._home, self._address)
            head = self._client.get_daemon_status().head_seq
            # From the head on: every event after this point reaches the callbacks.
            self._watch = self._client.watch_many(after_seq=head, reconnect_for=None)
            self._threads = (threading.Thread(target=self._read, name="claude-comms-stream", daemon=True),
                             threading.Thread(target=self._dispatch, name="claude-comms-callbacks", daemon=True))
            for thread in self._threads:
                thread.start()

    def add_message(self, thread_id: str, message_id: str, on_complete: Optional[OnComplete] = None,
                    on_status_change: Optional[OnStatusChange] = None, timeout: Optional[float] = None) -> bool:
        """Registers the message for monitoring (with a deadline after `timeout` seconds) and
        its callbacks, starting this polling daemon first if needed. A message already
        finished calls back at once. Returns False when it was already active here (its
        callbacks are replaced)."""
        self.start()
        entry = _Entry(thread_id, on_complete, on_status_change, None, time.time())
        with self._lock:
            new = message_id not in self._active
            self._active[message_id] = entry  # before AddMessage: no event can slip past
        try:
            message = self._client.add_message(message_id, thread_id=thread_id or "", timeout=timeout).message
        except ClaudeCommsError:
            with self._lock:
                self._active.pop(message_id, None)
            raise
        self._queue.put(("registered", message_id, message))
        return new

    def remove_message(self, message_id: str) -> bool:
        """Stops monitoring the message; no callback runs for it any more. False when it was not active."""
        with self._lock:
            entry = self._active.pop(message_id, None)
        try:
            self._client.remove_message(message_id)
        except NotFound:
            pass  # not monitored by the daemon (any more): nothing to undo
        return entry is not None

    def get_active_messages(self) -> Dict[str, Dict[str, Any]]:
        """The messages waited for, by id: thread_id, status (lowercase, None until known), added_at."""
        with self._lock:
            return {mid: {"thread_id": e.thread_id, "status": e.status, "added_at": e.added_at}
                    for mid, e in self._active.items()}

    def shutdown(self) -> None:
        """Ends the stream and the background threads, and closes the connection. The daemon
        keeps running (other processes use it). Idempotent."""
        self._closed = True
        with _daemons_lock:
            for key in [k for k, d in _daemons.items() if d is self]:
                del _daemons[key]
        if self._watch is not None:
            self._watch.cancel()
        self._queue.put(_STOP)
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(JOIN_TIMEOUT)
        self._threads = ()
        self._client.close()

    def _read(self) -> None:
        try:
            for event in self._watch:
                self._queue.put(("event", event.message_id, event))
        except ClaudeCommsError as error:
            self.error = error
            log.error("claude-comms: the event stream ended: %s", error)
        finally:
            self._queue.put(_STOP)

    def _dispatch(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            kind, message_id, value = item
            with self._lock:
                entry = self._active.get(message_id)
            if entry is None:
                continue
            if kind == "event":
                self._on_event(message_id, entry, value)
            elif is_finished(value.status):
                self._finish(message_id, status_name(value.status))
            elif entry.status is None:
                entry.status = status_name(value.status)

    def _on_event(self, message_id: str, entry: _Entry, event: message_pb2.Event) -> None:
        new = status_name(event.to_status)
        if event.kind == message_pb2.EVENT_KIND_STATUS_CHANGED:
            entry.status = new
            if entry.on_status_change:
                _safely(entry.on_status_change, message_id, status_name(event.from_status), new)
        if is_finished(new):
            self._finish(message_id, new)

    def _finish(self, message_id: str, status: str) -> None:
        with self._lock:
            entry = self._active.pop(message_id, None)
        if entry is None or status != "complete" or entry.on_complete is None:
            return
        try:
            content = self._client.show_message(message_id, include_content=True).message.content
        except ClaudeCommsError as error:
            log.error("claude-comms: cannot read the response of %s: %s", message_id, error)
            return
        _safely(entry.on_complete, message_id, content)


def _safely(callback: Callable[..., Any], *args: Any) -> None:
    try:
        callback(*args)
    except Exception:  # a user's callback: report it, keep serving the others
        log.exception("claude-comms: callback %r failed", callback)


_daemons: Dict[tuple, PollingDaemon] = {}
_daemons_lock = threading.Lock()


def get_polling_daemon(home: Optional[str] = None, address: Optional[str] = None, token: Optional[str] = None,
                       tls_ca: Union[str, bytes, None] = None) -> PollingDaemon:
    """The process's PollingDaemon for these connection arguments (one per set), not started
    yet the first time: call start()."""
    key = (home, address, token, tls_ca)
    with _daemons_lock:
        daemon = _daemons.get(key)
        if daemon is None:
            daemon = _daemons[key] = PollingDaemon(home, address, token, tls_ca)
        return daemon
