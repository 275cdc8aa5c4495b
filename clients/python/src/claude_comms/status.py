"""Message statuses as the original tool named them ("pending", "complete", …)."""

from __future__ import annotations

from typing import Any, Union

from claude_comms.v1 import message_pb2

#: The six statuses, lowercase, as the store keeps them.
STATUSES = ("pending", "processing", "complete", "failed", "timed_out", "cancelled")
#: The statuses no change leaves.
FINISHED = frozenset(("complete", "failed", "timed_out", "cancelled"))

StatusLike = Union[str, int]


def status_name(status: int) -> str:
    """The lowercase name of a MessageStatus value ("unspecified" for 0)."""
    return _name(message_pb2.MessageStatus, "MESSAGE_STATUS_", status)


def status_value(status: StatusLike) -> int:
    """The MessageStatus value of a lowercase name (or of a value, checked)."""
    if isinstance(status, int):
        message_pb2.MessageStatus.Name(status)  # raises ValueError for an unknown value
        return status
    if status not in STATUSES:
        raise ValueError(f'unknown status "{status}": use one of {", ".join(STATUSES)}')
    return message_pb2.MessageStatus.Value(f"MESSAGE_STATUS_{status.upper()}")


def is_finished(status: StatusLike) -> bool:
    """True for complete, failed, timed_out and cancelled."""
    return (status_name(status) if isinstance(status, int) else status) in FINISHED


def kind_name(kind: int) -> str:
    """The lowercase name of an EventKind value ("status_changed", "heartbeat", …)."""
    return _name(message_pb2.EventKind, "EVENT_KIND_", kind)


def _name(enum: Any, prefix: str, value: int) -> str:
    # A newer daemon may send values these stubs do not know yet: name them, do not fail.
    try:
        return enum.Name(value).removeprefix(prefix).lower()
    except ValueError:
        return f"unknown_{value}"
