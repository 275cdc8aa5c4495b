"""Python client of the claude-comms daemon.

    from claude_comms import connect
    with connect() as client:                       # $CLAUDE_COMMS_HOME/daemon.sock
        client.create_message("t1", "m1")
        for event in client.watch("m1"):            # until the message is terminal
            print(event.seq, event.kind, event.to_status)

The original tool's functions live where they did: claude_comms.core.polling
(poll_message_until_complete), claude_comms.background.polling_daemon
(get_polling_daemon), claude_comms.module_communication (module_ask_module). The asyncio
client is claude_comms.aio; the generated stubs are claude_comms.v1.
"""

from claude_comms._target import Target, read_token_file, resolve_home, resolve_target, socket_path
from claude_comms.client import Client, connect
from claude_comms.errors import (Aborted, AlreadyExists, Cancelled, ClaudeCommsError, DataLoss, DeadlineExceeded,
                                 FailedPrecondition, Internal, InvalidArgument, NotFound, OutOfRange,
                                 PermissionDenied, ResourceExhausted, Unauthenticated, Unavailable, Unimplemented,
                                 Unknown, from_rpc_error)
from claude_comms.status import FINISHED, STATUSES, is_finished, kind_name, status_name, status_value
from claude_comms.watch import Watch

__version__ = "0.1.0"

__all__ = [
    "Aborted", "AlreadyExists", "Cancelled", "ClaudeCommsError", "Client", "DataLoss", "DeadlineExceeded",
    "FINISHED", "FailedPrecondition", "Internal", "InvalidArgument", "NotFound", "OutOfRange", "PermissionDenied",
    "ResourceExhausted", "STATUSES", "Target", "Unauthenticated", "Unavailable", "Unimplemented", "Unknown",
    "Watch", "connect", "from_rpc_error", "is_finished", "kind_name", "read_token_file", "resolve_home", "resolve_target",
    "socket_path", "status_name", "status_value",
]
