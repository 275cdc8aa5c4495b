#!/usr/bin/env python3
"""A claude-comms client in Python (the claude_comms package): add a message, show it, watch it.

It creates a message, registers it for monitoring, shows it, then watches it (a server
stream) while a background thread plays the worker: processing, two appends, complete.
Exits 0 once the watch ends on complete, 1 on any error (printed as "error: CODE: details").

    pip install ./clients/python        # or: export PYTHONPATH=clients/python/src
    python3 examples/python/watch_message.py                      # the daemon of $CLAUDE_COMMS_HOME
    python3 examples/python/watch_message.py --home ~/.claude-comms --message py-1
    python3 examples/python/watch_message.py --address 127.0.0.1:7777 --token-file token --tls-ca cert.pem

Debian: apt-get install python3-grpcio python3-protobuf, and run it with /usr/bin/python3
(the interpreter that sees Debian's packages).
"""

import argparse
import sys
import threading
import time
import uuid

from claude_comms import ClaudeCommsError, connect, kind_name, read_token_file, status_name


WATCH_TIMEOUT_S = 60


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", help="the daemon's home directory (default: $CLAUDE_COMMS_HOME or ~/.claude-comms)")
    parser.add_argument("--address", metavar="HOST:PORT", help="the daemon's TCP listener instead of its Unix socket")
    parser.add_argument("--token-file", help="file whose first line is the bearer token")
    parser.add_argument("--tls-ca", help="PEM CA certificate: connect with TLS, trusting it")
    parser.add_argument("--thread", default="python-example", help="thread id (default: python-example)")
    parser.add_argument("--message", default=None, help="message id (default: a new one)")
    return parser.parse_args()


def work(client, message_id):
    """The worker side of the message: start, stream two chunks of content, complete."""
    client.set_status(message_id, "processing")
    for chunk in ("Hello from ", "Python."):
        time.sleep(0.3)
        client.append_content(message_id, chunk)
    client.set_status(message_id, "complete")


def describe(event):
    return f"seq={event.seq} {kind_name(event.kind).upper()} {status_name(event.to_status).upper()} {event.content_length} bytes"


def run(client, args):
    message_id = args.message or f"py-{uuid.uuid4()}"
    created = client.create_message(args.thread, message_id, module="python-example", type="question").message
    print(f"created {created.message_id} in thread {created.thread_id}")
    client.add_message(message_id, timeout=WATCH_TIMEOUT_S, labels={"client": "python"})
    print(f"monitoring {message_id} (times out in {WATCH_TIMEOUT_S}s)")
    shown = client.show_message(message_id)
    print(f"show: {status_name(shown.message.status).upper()}, history: {', '.join(describe(e) for e in shown.history)}")

    worker, final = None, None
    for event in client.watch(message_id, timeout=WATCH_TIMEOUT_S):
        print(f"watch: {describe(event)}")
        final = status_name(event.to_status)
        if worker is None:  # the snapshot arrived: now nothing the worker does can be missed
            worker = threading.Thread(target=work, args=(client, message_id), daemon=True)
            worker.start()
    if worker is not None:
        worker.join(10)
    print(f"done: {message_id} {(final or 'unspecified').upper()}")
    return 0 if final == "complete" else 1


def main():
    args = parse_args()
    try:
        token = read_token_file(args.token_file, "--token-file") if args.token_file else None
        with connect(home=args.home, address=args.address, token=token, tls_ca=args.tls_ca) as client:
            return run(client, args)
    except ClaudeCommsError as error:
        print(f"error: {error.code.name}: {error.details}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
