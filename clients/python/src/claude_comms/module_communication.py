"""The original `claude_comms.module_communication`: one module asks another."""

from __future__ import annotations

from typing import Any, Dict, Optional

from claude_comms.client import Client, connect
from claude_comms.core.polling import message_result


def module_ask_module(from_module: str, to_module: str, question: str, thread_id: Optional[str] = None,
                      wait_for_completion: bool = False, timeout: Optional[float] = None,
                      *, client: Optional[Client] = None) -> Dict[str, Any]:
    """Asks `to_module` (a registered module) a question on behalf of `from_module`.

    The daemon runs the target module's agent and streams its answer into a response
    message. Returns a dict with `thread_id`, `question_message_id` and
    `response_message_id` at once; with `wait_for_completion`, also `status`, `response`
    (the answer's text), `error` and `history` once the answer is terminal. `timeout`
    (seconds) bounds the agent's run (default: the daemon's, 10 minutes); when it passes,
    the status is "timed_out". `thread_id` continues a thread (a new one when None).
    """
    own = client is None
    client = client or connect()
    try:
        ids = client.ask_module(from_module, to_module, question, thread_id=thread_id or "", timeout=timeout)
        result: Dict[str, Any] = {
            "thread_id": ids.thread_id,
            "question_message_id": ids.question_message_id,
            "response_message_id": ids.response_message_id,
        }
        if not wait_for_completion:
            return result
        client.wait(ids.response_message_id)
        answer = message_result(client, ids.response_message_id)
        result.update(status=answer["status"], response=answer["content"], error=answer["error"],
                      history=answer["history"])
        return result
    finally:
        if own:
            client.close()
