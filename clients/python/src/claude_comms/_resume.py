"""When and from where a watch resumes: the policy shared by the sync and asyncio watches."""

from __future__ import annotations

import time
from typing import Optional

import grpc

from claude_comms.v1 import message_pb2

# A daemon that stops ends streams UNAVAILABLE; a watcher that falls behind gets
# RESOURCE_EXHAUSTED. Both mean: reconnect and resume after the last seq seen.
RETRYABLE = frozenset((grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED))


class Resume:
    """Tracks the last seq a watch was brought up to and paces its reconnections.

    `reconnect_for` bounds how long the watch keeps trying while the daemon is away (counted
    from the last event received); None means forever.
    """

    def __init__(self, after_seq: Optional[int], reconnect_for: Optional[float], deadline: Optional[float]):
        self.after_seq = after_seq
        self.reconnect_for = reconnect_for
        self.deadline = deadline
        self._attempt = 0
        self._last_contact = time.monotonic()

    def saw(self, event: message_pb2.Event) -> None:
        """Records an event (heartbeats too: their seq is where the watcher is brought up to)."""
        if event.seq > 0:
            self.after_seq = event.seq
        self._attempt = 0
        self._last_contact = time.monotonic()

    def remaining(self) -> Optional[float]:
        """Seconds left before the watch's own timeout; None without one."""
        return None if self.deadline is None else self.deadline - time.monotonic()

    def expired(self) -> bool:
        """True once the watch's own timeout has passed."""
        left = self.remaining()
        return left is not None and left <= 0

    def retry_delay(self, code: grpc.StatusCode) -> Optional[float]:
        """Seconds to wait before reconnecting, or None when the error must reach the caller."""
        if code not in RETRYABLE:
            return None
        if self.reconnect_for is not None and time.monotonic() - self._last_contact > self.reconnect_for:
            return None
        delay = min(2.0, 0.05 * 2 ** min(self._attempt, 6))
        self._attempt += 1
        return delay
