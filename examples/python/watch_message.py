#!/usr/bin/env python3
"""A claude-comms client in Python (grpcio): add a message, show it, watch it to completion.

It creates a message through MessageService, registers it for monitoring (AddMessage),
shows it (ShowMessage), then watches it (WatchMessage, a server stream) while a background
thread plays the worker: PROCESSING, two appends, COMPLETE. Exits 0 once the watch ends on
COMPLETE, 1 on any gRPC error (printed as "error: CODE: details").

    examples/python/generate.sh /tmp/stubs            # once: the stubs, from proto/
    python3 examples/python/watch_message.py --stubs /tmp/stubs --unix ~/.claude-comms/daemon.sock
    python3 examples/python/watch_message.py --stubs /tmp/stubs --address 127.0.0.1:7777 \\
        --token-file token --tls-ca cert.pem

Debian: apt-get install python3-grpcio protobuf-compiler protobuf-compiler-grpc, and run it
with /usr/bin/python3 (the interpreter that sees Debian's packages).
"""

import argparse
import os
import sys
import threading
import time
import uuid

import grpc

CALL_TIMEOUT_S = 10
WATCH_TIMEOUT_S = 60


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--unix", metavar="PATH", help="the daemon's Unix socket")
    where.add_argument("--address", metavar="HOST:PORT", help="the daemon's TCP listener")
    parser.add_argument("--stubs", default=os.path.join(os.path.dirname(__file__), "gen"),
                        help="directory generate.sh wrote the stubs to (default: ./gen)")
    parser.add_argument("--token-file", help="file whose first line is the bearer token")
    parser.add_argument("--tls-ca", help="PEM CA certificate: connect with TLS, trusting it")
    parser.add_argument("--thread", default="python-example", help="thread id (default: python-example)")
    parser.add_argument("--message", default=None, help="message id (default: a new one)")
    return parser.parse_args()


def open_channel(args):
    """A channel to the daemon: Unix socket, plaintext TCP, or TLS."""
    if args.unix:
        return grpc.insecure_channel(f"unix:{os.path.abspath(args.unix)}")
    if args.tls_ca:
        with open(args.tls_ca, "rb") as f:
            return grpc.secure_channel(args.address, grpc.ssl_channel_credentials(root_certificates=f.read()))
    return grpc.insecure_channel(args.address)


def bearer_metadata(args):
    """The authorization header the daemon requires on TCP when it has a token."""
    if not args.token_file:
        return ()
    with open(args.token_file, encoding="utf-8") as f:
        return (("authorization", f"Bearer {f.readline().strip()}"),)


def work(messages, pb, message_id, metadata):
    """The worker side of the message: start, stream two chunks of content, complete."""
    call = {"metadata": metadata, "timeout": CALL_TIMEOUT_S}
    processing, complete = pb.message_pb2.MESSAGE_STATUS_PROCESSING, pb.message_pb2.MESSAGE_STATUS_COMPLETE
    messages.SetStatus(pb.message_service_pb2.SetStatusRequest(message_id=message_id, status=processing), **call)
    for chunk in ("Hello from ", "Python."):
        time.sleep(0.3)
        messages.AppendContent(pb.message_service_pb2.AppendContentRequest(message_id=message_id, content=chunk), **call)
    messages.SetStatus(pb.message_service_pb2.SetStatusRequest(message_id=message_id, status=complete), **call)


def describe(pb, event):
    kind = pb.message_pb2.EventKind.Name(event.kind).removeprefix("EVENT_KIND_")
    status = pb.message_pb2.MessageStatus.Name(event.to_status).removeprefix("MESSAGE_STATUS_")
    return f"seq={event.seq} {kind} {status} {event.content_length} bytes"


def run(args, pb):
    channel = open_channel(args)
    metadata = bearer_metadata(args)
    call = {"metadata": metadata, "timeout": CALL_TIMEOUT_S}
    messages = pb.message_service_pb2_grpc.MessageServiceStub(channel)
    polling = pb.polling_service_pb2_grpc.PollingServiceStub(channel)
    message_id = args.message or f"py-{uuid.uuid4()}"

    created = messages.CreateMessage(pb.message_service_pb2.CreateMessageRequest(
        thread_id=args.thread, message_id=message_id, module="python-example", type="question"), **call)
    print(f"created {created.message.message_id} in thread {created.message.thread_id}")

    timeout = pb.duration_pb2.Duration(seconds=WATCH_TIMEOUT_S)
    polling.AddMessage(pb.polling_service_pb2.AddMessageRequest(
        message_id=message_id, timeout=timeout, labels={"client": "python"}), **call)
    print(f"monitoring {message_id} (times out in {WATCH_TIMEOUT_S}s)")

    shown = polling.ShowMessage(pb.polling_service_pb2.ShowMessageRequest(message_id=message_id), **call)
    status = pb.message_pb2.MessageStatus.Name(shown.message.status).removeprefix("MESSAGE_STATUS_")
    print(f"show: {status}, history: {', '.join(describe(pb, e) for e in shown.history)}")

    worker = None
    final = None
    stream = polling.WatchMessage(pb.polling_service_pb2.WatchMessageRequest(message_id=message_id),
                                  metadata=metadata, timeout=WATCH_TIMEOUT_S)
    for response in stream:
        event = response.event
        if event.kind == pb.message_pb2.EVENT_KIND_HEARTBEAT:
            continue
        print(f"watch: {describe(pb, event)}")
        final = event.to_status
        if worker is None:  # the snapshot arrived: now nothing the worker does can be missed
            worker = threading.Thread(target=work, args=(messages, pb, message_id, metadata), daemon=True)
            worker.start()
    if worker is not None:
        worker.join(CALL_TIMEOUT_S)
    name = pb.message_pb2.MessageStatus.Name(final or 0).removeprefix("MESSAGE_STATUS_")
    print(f"done: {message_id} {name}")
    return 0 if final == pb.message_pb2.MESSAGE_STATUS_COMPLETE else 1


def load_stubs(directory):
    """Imports the generated modules from `directory` (see generate.sh)."""
    if not os.path.isdir(os.path.join(directory, "claude_comms")):
        sys.exit(f"no stubs in {directory}: run examples/python/generate.sh {directory} first")
    sys.path.insert(0, directory)
    from google.protobuf import duration_pb2
    from claude_comms.v1 import (message_pb2, message_service_pb2, message_service_pb2_grpc,
                                 polling_service_pb2, polling_service_pb2_grpc)
    return argparse.Namespace(**locals())


def main():
    args = parse_args()
    pb = load_stubs(os.path.abspath(args.stubs))
    try:
        return run(args, pb)
    except grpc.RpcError as error:
        print(f"error: {error.code().name}: {error.details()}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
