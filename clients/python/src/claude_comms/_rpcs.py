"""Every unary RPC of the daemon as a typed method, shared by the sync and asyncio clients.

Each method builds its request and hands it to `self._unary(service, method, request,
timeout)`: the sync client returns the response, the asyncio client an awaitable of it.
Arguments are Python values (seconds as floats, dicts, lowercase status names); results are
the RPC's response messages (see claude_comms.v1.*_pb2).
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, Mapping, Optional

from claude_comms._convert import duration, struct
from claude_comms.status import StatusLike, status_value
from claude_comms.v1 import message_service_pb2 as ms
from claude_comms.v1 import message_service_pb2_grpc, module_service_pb2_grpc
from claude_comms.v1 import module_service_pb2 as mod
from claude_comms.v1 import polling_service_pb2 as ps
from claude_comms.v1 import polling_service_pb2_grpc

# How long a unary call may take unless the caller says otherwise (the CLI's figure).
DEFAULT_TIMEOUT = 30.0

# A wait's call outlives its server-side timeout by this much, so the daemon answers first.
WAIT_MARGIN = 5.0

POLLING, MESSAGES, MODULES = "polling", "messages", "modules"


def stubs_of(channel: Any) -> Dict[str, Any]:
    """The three services' stubs on a channel (sync or asyncio)."""
    return {
        POLLING: polling_service_pb2_grpc.PollingServiceStub(channel),
        MESSAGES: message_service_pb2_grpc.MessageServiceStub(channel),
        MODULES: module_service_pb2_grpc.ModuleServiceStub(channel),
    }


def watch_requests(message_id: str) -> Callable[[Optional[int]], ps.WatchMessageRequest]:
    """WatchMessage requests of one watch: (after_seq or None) -> request."""
    return lambda after: ps.WatchMessageRequest(message_id=message_id, after_seq=after)


def watch_many_requests(message_ids: Iterable[str], thread_id: str, statuses: Iterable[StatusLike], module: str,
                        labels: Optional[Mapping[str, str]]) -> Callable[[Optional[int]], ps.WatchMessagesRequest]:
    """WatchMessages requests of one watch: the filter fixed, after_seq per attempt."""
    ids, status_values, label_map = list(message_ids), [status_value(s) for s in statuses], dict(labels or {})
    return lambda after: ps.WatchMessagesRequest(message_ids=ids, thread_id=thread_id, statuses=status_values,
                                                 module=module, labels=label_map, after_seq=after)


def wait_request(message_id: str, left: Optional[float]) -> ps.WaitMessageRequest:
    """A WaitMessage request for the `left` seconds of a wait (None: until terminal)."""
    return ps.WaitMessageRequest(message_id=message_id, timeout=None if left is None else duration(max(left, 0.001)))


def wait_call_timeout(left: Optional[float]) -> Optional[float]:
    """The call deadline of a WaitMessage: past its server-side timeout, so the daemon answers."""
    return None if left is None else left + WAIT_MARGIN


class Rpcs:
    """The unary RPCs. Each takes a keyword `timeout=` (seconds, default 30) for the call itself;
    add_message and ask_module name it `call_timeout=`, their `timeout` being the message's."""

    def _unary(self, service: str, method: str, request: Any, timeout: Optional[float]) -> Any:
        raise NotImplementedError

    # PollingService

    def add_message(self, message_id: str, thread_id: str = "", timeout: Optional[float] = None,
                    labels: Optional[Mapping[str, str]] = None, *, call_timeout: Optional[float] = None) -> ps.AddMessageResponse:
        """Registers a message for monitoring; `timeout` (seconds) sets its deadline. Idempotent."""
        request = ps.AddMessageRequest(message_id=message_id, thread_id=thread_id,
                                       timeout=duration(timeout), labels=dict(labels or {}))
        return self._unary(POLLING, "AddMessage", request, call_timeout)

    def remove_message(self, message_id: str, *, timeout: Optional[float] = None) -> ps.RemoveMessageResponse:
        """Stops monitoring a message (its work goes on: see cancel_message)."""
        return self._unary(POLLING, "RemoveMessage", ps.RemoveMessageRequest(message_id=message_id), timeout)

    def show_message(self, message_id: str, include_content: bool = False, content_offset: int = 0,
                     *, timeout: Optional[float] = None) -> ps.ShowMessageResponse:
        """One message and its full event history; with `include_content`, its content too."""
        request = ps.ShowMessageRequest(message_id=message_id, include_content=include_content,
                                        content_offset=content_offset)
        return self._unary(POLLING, "ShowMessage", request, timeout)

    def list_messages(self, status: Optional[StatusLike] = None, thread_id: str = "", all: bool = False,
                      module: str = "", page_size: int = 0, page_token: str = "",
                      *, timeout: Optional[float] = None) -> ps.ListMessagesResponse:
        """One page of messages: the monitored ones, or with `all` every stored one."""
        request = ps.ListMessagesRequest(status=status_value(status) if status is not None else 0,
                                         thread_id=thread_id, all=all, module=module,
                                         page_size=page_size, page_token=page_token)
        return self._unary(POLLING, "ListMessages", request, timeout)

    def cancel_message(self, message_id: str, reason: str = "", *, timeout: Optional[float] = None) -> ps.CancelMessageResponse:
        """Stops a message's work (its agent, if any) and moves it to cancelled."""
        request = ps.CancelMessageRequest(message_id=message_id, reason=reason)
        return self._unary(POLLING, "CancelMessage", request, timeout)

    def get_daemon_status(self, *, timeout: Optional[float] = None) -> ps.GetDaemonStatusResponse:
        """The daemon's pid, version, store, monitors, watchers, head seq and poller statistics."""
        return self._unary(POLLING, "GetDaemonStatus", ps.GetDaemonStatusRequest(), timeout)

    def stop_daemon(self, *, timeout: Optional[float] = None) -> ps.StopDaemonResponse:
        """Stops the daemon gracefully (local callers only)."""
        return self._unary(POLLING, "StopDaemon", ps.StopDaemonRequest(), timeout)

    # MessageService

    def create_thread(self, thread_id: str = "", title: str = "", modules: Iterable[str] = (),
                      metadata: Optional[Mapping[str, Any]] = None, *, timeout: Optional[float] = None) -> ms.CreateThreadResponse:
        """Creates a thread (an id is generated when none is given)."""
        request = ms.CreateThreadRequest(thread_id=thread_id, title=title, modules=list(modules),
                                         metadata=struct(metadata))
        return self._unary(MESSAGES, "CreateThread", request, timeout)

    def get_thread(self, thread_id: str, include_content: bool = False, *, timeout: Optional[float] = None) -> ms.GetThreadResponse:
        """A thread and its messages, oldest first."""
        request = ms.GetThreadRequest(thread_id=thread_id, include_content=include_content)
        return self._unary(MESSAGES, "GetThread", request, timeout)

    def create_message(self, thread_id: str, message_id: str = "", module: str = "", type: str = "",
                       content: str = "", status: Optional[StatusLike] = None,
                       metadata: Optional[Mapping[str, Any]] = None, *, timeout: Optional[float] = None) -> ms.CreateMessageResponse:
        """Creates a message (and its thread when new); status defaults to pending."""
        request = ms.CreateMessageRequest(thread_id=thread_id, message_id=message_id, module=module, type=type,
                                          content=content, status=status_value(status) if status is not None else 0,
                                          metadata=struct(metadata))
        return self._unary(MESSAGES, "CreateMessage", request, timeout)

    def append_content(self, message_id: str, content: str, *, timeout: Optional[float] = None) -> ms.AppendContentResponse:
        """Appends text to a message's content."""
        request = ms.AppendContentRequest(message_id=message_id, content=content)
        return self._unary(MESSAGES, "AppendContent", request, timeout)

    def set_status(self, message_id: str, status: StatusLike, error: str = "",
                   *, timeout: Optional[float] = None) -> ms.SetStatusResponse:
        """Moves a message to a new status ("processing", "complete", …), with an error text."""
        request = ms.SetStatusRequest(message_id=message_id, status=status_value(status), error=error)
        return self._unary(MESSAGES, "SetStatus", request, timeout)

    # ModuleService

    def register_module(self, name: str, directory: str, system_prompt: str = "",
                        agent_command: Iterable[str] = (), *, timeout: Optional[float] = None) -> mod.RegisterModuleResponse:
        """Registers a module (or updates it); `agent_command` only over the local socket."""
        module = mod.Module(name=name, directory=directory, system_prompt=system_prompt,
                            agent_command=list(agent_command))
        return self._unary(MODULES, "RegisterModule", mod.RegisterModuleRequest(module=module), timeout)

    def list_modules(self, *, timeout: Optional[float] = None) -> mod.ListModulesResponse:
        """The registered modules by name."""
        return self._unary(MODULES, "ListModules", mod.ListModulesRequest(), timeout)

    def remove_module(self, name: str, *, timeout: Optional[float] = None) -> mod.RemoveModuleResponse:
        """Removes a module."""
        return self._unary(MODULES, "RemoveModule", mod.RemoveModuleRequest(name=name), timeout)

    def ask_module(self, from_module: str, to_module: str, question: str, thread_id: str = "",
                   timeout: Optional[float] = None, metadata: Optional[Mapping[str, Any]] = None,
                   *, call_timeout: Optional[float] = None) -> mod.AskModuleResponse:
        """Asks a module; returns the ids at once. `timeout` bounds the agent's run (seconds)."""
        request = mod.AskModuleRequest(from_module=from_module, to_module=to_module, question=question,
                                       thread_id=thread_id, timeout=duration(timeout), metadata=struct(metadata))
        return self._unary(MODULES, "AskModule", request, call_timeout)
