"""One exception class per gRPC status code, and the one function that maps a gRPC error."""

from __future__ import annotations

from typing import Dict, Type

import grpc


class ClaudeCommsError(Exception):
    """A call to the daemon failed. `code` is the gRPC status code, `details` the daemon's text."""

    code: grpc.StatusCode = grpc.StatusCode.UNKNOWN

    def __init__(self, details: str, target: str = ""):
        super().__init__(details)
        self.details = details
        self.target = target


class Cancelled(ClaudeCommsError):
    """The call was cancelled (CANCELLED)."""
    code = grpc.StatusCode.CANCELLED


class Unknown(ClaudeCommsError):
    """UNKNOWN."""
    code = grpc.StatusCode.UNKNOWN


class InvalidArgument(ClaudeCommsError):
    """The request was malformed: a missing id, an UNSPECIFIED status, … (INVALID_ARGUMENT)."""
    code = grpc.StatusCode.INVALID_ARGUMENT


class DeadlineExceeded(ClaudeCommsError):
    """The call's own timeout passed (DEADLINE_EXCEEDED)."""
    code = grpc.StatusCode.DEADLINE_EXCEEDED


class NotFound(ClaudeCommsError):
    """No message, thread or module has that id (NOT_FOUND)."""
    code = grpc.StatusCode.NOT_FOUND


class AlreadyExists(ClaudeCommsError):
    """The id is taken (ALREADY_EXISTS)."""
    code = grpc.StatusCode.ALREADY_EXISTS


class PermissionDenied(ClaudeCommsError):
    """Only a local caller may do this (PERMISSION_DENIED)."""
    code = grpc.StatusCode.PERMISSION_DENIED


class ResourceExhausted(ClaudeCommsError):
    """The store is full, or a watcher fell too far behind (RESOURCE_EXHAUSTED)."""
    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class FailedPrecondition(ClaudeCommsError):
    """Not allowed in the current state, e.g. changing a terminal message (FAILED_PRECONDITION)."""
    code = grpc.StatusCode.FAILED_PRECONDITION


class Aborted(ClaudeCommsError):
    """ABORTED."""
    code = grpc.StatusCode.ABORTED


class OutOfRange(ClaudeCommsError):
    """A resume point older than the retained history (OUT_OF_RANGE): watch from a snapshot."""
    code = grpc.StatusCode.OUT_OF_RANGE


class Unimplemented(ClaudeCommsError):
    """The daemon does not know the method (UNIMPLEMENTED): it is older than this client."""
    code = grpc.StatusCode.UNIMPLEMENTED


class Internal(ClaudeCommsError):
    """The daemon failed (INTERNAL): its log says why."""
    code = grpc.StatusCode.INTERNAL


class Unavailable(ClaudeCommsError):
    """The daemon is not running, not reachable, or stopping (UNAVAILABLE)."""
    code = grpc.StatusCode.UNAVAILABLE


class DataLoss(ClaudeCommsError):
    """DATA_LOSS."""
    code = grpc.StatusCode.DATA_LOSS


class Unauthenticated(ClaudeCommsError):
    """A missing or wrong bearer token (UNAUTHENTICATED)."""
    code = grpc.StatusCode.UNAUTHENTICATED


_BY_CODE: Dict[grpc.StatusCode, Type[ClaudeCommsError]] = {
    cls.code: cls for cls in ClaudeCommsError.__subclasses__()
}


def from_rpc_error(error: grpc.RpcError, target: str = "") -> ClaudeCommsError:
    """The exception for a failed call; an unreachable daemon's says where and how to start it."""
    code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    details = (error.details() if hasattr(error, "details") else None) or str(error)
    cls = _BY_CODE.get(code, Unknown)
    if cls is Unavailable and _unreachable(details):
        details = f"daemon not running at {target} (start it with: claude-comms poll start): {details}"
    return cls(details, target)


def _unreachable(details: str) -> bool:
    # gRPC's own connection errors, as opposed to the daemon saying it is stopping.
    return "failed to connect" in details or "Connection refused" in details or "No such file" in details
