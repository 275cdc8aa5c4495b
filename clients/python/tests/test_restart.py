"""Watches, waits and the polling daemon's callbacks survive a daemon restart with nothing missed."""

from __future__ import annotations

import os
import sqlite3
import threading
import time

from claude_comms import connect, kind_name, status_name
from claude_comms.background.polling_daemon import get_polling_daemon
from conftest import Daemon


def collect(iterable, into):
    """Drains `iterable` into the list `into` on a background thread."""
    thread = threading.Thread(target=lambda: into.extend(iterable), daemon=True)
    thread.start()
    return thread


def test_watches_waits_and_callbacks_resume_across_a_restart(home):
    daemon = Daemon(home, ["--interval", "0.1"]).start()
    try:
        with connect(home=home) as client:
            client.create_message("r", "r1")
            client.add_message("r1")
            head = client.get_daemon_status().head_seq
            watch = client.watch("r1")
            snapshot = next(watch)
            one, many, calls, completed = [], [], [], threading.Event()
            one_thread = collect(watch, one)
            many_watch = client.watch_many(message_ids=["r1"], after_seq=head)
            collect(many_watch, many)
            poller = get_polling_daemon(home=home)
            poller.start()
            waited = []
            waiter = threading.Thread(target=lambda: waited.append(client.wait("r1", timeout=40)), daemon=True)
            waiter.start()
            poller.add_message("r", "r1", on_status_change=lambda *args: calls.append(args),
                               on_complete=lambda mid, response: (calls.append((mid, response)), completed.set()))

            daemon.stop()
            # While the daemon is down another process writes the store, as the original tool's
            # writers did: its triggers log the change, and the watches must still deliver it.
            with sqlite3.connect(os.path.join(home, "comms.db"), timeout=5) as db:
                db.execute("UPDATE messages SET status = 'processing', content = 'written while down' "
                           "WHERE message_id = 'r1'")
            daemon.start()
            client.wait_until_ready()
            client.set_status("r1", "complete")

            one_thread.join(20)
            waiter.join(20)
            assert [(w.finished, status_name(w.message.status)) for w in waited] == [(True, "complete")]
            assert not one_thread.is_alive(), f"the watch did not end; it saw {[kind_name(e.kind) for e in one]}"
            assert completed.wait(20), f"no completion callback; calls: {calls}"
            history = client.show_message("r1").history
            terminal = next(e.seq for e in history if status_name(e.to_status) == "complete")
            expected = [e.seq for e in history if snapshot.seq < e.seq <= terminal]
            assert [e.seq for e in one] == expected
            assert [status_name(e.to_status) for e in one if kind_name(e.kind) == "status_changed"] == ["processing", "complete"]
            deadline = time.monotonic() + 20
            while not any(e.seq >= terminal for e in many) and time.monotonic() < deadline:
                time.sleep(0.05)
            many_watch.cancel()
            assert [e.seq for e in many if e.seq <= terminal] == [e.seq for e in history if head < e.seq <= terminal]
            assert calls == [("r1", "pending", "processing"), ("r1", "processing", "complete"),
                             ("r1", "written while down")]
            poller.shutdown()
    finally:
        daemon.kill()
