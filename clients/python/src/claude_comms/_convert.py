"""Python values to protobuf fields and back: durations, JSON objects, events as dicts."""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

from google.protobuf import duration_pb2, struct_pb2

from claude_comms.status import kind_name, status_name
from claude_comms.v1 import message_pb2


def duration(seconds: Optional[float]) -> Optional[duration_pb2.Duration]:
    """A Duration of `seconds` (None stays None: the field is left unset)."""
    if seconds is None:
        return None
    if seconds < 0:
        raise ValueError(f"a timeout cannot be negative (got {seconds})")
    value = duration_pb2.Duration()
    value.FromNanoseconds(round(seconds * 1e9))
    return value


def struct(values: Optional[Mapping[str, Any]]) -> Optional[struct_pb2.Struct]:
    """A Struct holding a JSON-like dict (None stays None)."""
    if values is None:
        return None
    value = struct_pb2.Struct()
    value.update(dict(values))
    return value


def event_dict(event: message_pb2.Event) -> Dict[str, Any]:
    """An event as a plain dict with lowercase names, as the original tool's history entries."""
    return {
        "seq": event.seq,
        "kind": kind_name(event.kind),
        "from_status": status_name(event.from_status) if event.from_status else None,
        "status": status_name(event.to_status),
        "content_length": event.content_length,
        "time": event.time.ToDatetime().isoformat() + "Z" if event.HasField("time") else None,
        "detail": event.detail or None,
    }
