"""The original `claude_comms.core.polling`: wait for a message, over one WatchMessage stream."""

from __future__ import annotations

from typing import Any, Dict, Optional

from claude_comms._convert import event_dict
from claude_comms.client import Client, connect
from claude_comms.errors import InvalidArgument
from claude_comms.status import is_finished, kind_name, status_name
from claude_comms.v1 import message_pb2


def poll_message_until_complete(thread_id: Optional[str], message_id: str, timeout: Optional[float] = None,
                                print_progress: bool = False, *, client: Optional[Client] = None) -> Dict[str, Any]:
    """Waits until the message is terminal, or `timeout` seconds pass (None: no limit).

    Returns a dict: `status` (lowercase: "complete", "failed", "timed_out", "cancelled", or
    still "pending"/"processing" when the timeout came first), `finished`, `content`,
    `error` (None unless failed, timed out or cancelled), `history` (every event as a dict:
    seq, kind, from_status, status, content_length, time, detail), `message_id`,
    `thread_id`. With `print_progress`, prints one line per event. A `thread_id` that is not
    the message's raises InvalidArgument; an unknown message NotFound. No polling: the
    daemon pushes every event, and the watch resumes across daemon restarts.
    """
    own = client is None
    client = client or connect()
    try:
        shown = client.show_message(message_id).message
        if thread_id and shown.thread_id != thread_id:
            raise InvalidArgument(f'message "{message_id}" belongs to thread "{shown.thread_id}", not "{thread_id}"')
        if not is_finished(shown.status):
            for event in client.watch(message_id, timeout=timeout):
                if print_progress:
                    print(progress_line(event), flush=True)
        return message_result(client, message_id)
    finally:
        if own:
            client.close()


def message_result(client: Client, message_id: str) -> Dict[str, Any]:
    """The original tool's result dict of a message, as it is now."""
    shown = client.show_message(message_id, include_content=True)
    message = shown.message
    return {
        "message_id": message.message_id,
        "thread_id": message.thread_id,
        "status": status_name(message.status),
        "finished": is_finished(message.status),
        "content": message.content,
        "error": message.error or None,
        "history": [event_dict(event) for event in shown.history],
    }


def progress_line(event: message_pb2.Event) -> str:
    """One line of print_progress: `[id] status_changed pending -> processing (0 bytes)`."""
    change = status_name(event.to_status)
    if event.kind == message_pb2.EVENT_KIND_STATUS_CHANGED:
        change = f"{status_name(event.from_status)} -> {change}"
    detail = f": {event.detail}" if event.detail else ""
    return f"[{event.message_id}] {kind_name(event.kind)} {change} ({event.content_length} bytes){detail}"
