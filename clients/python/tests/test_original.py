"""The original tool's functions, as its users call them, against a real daemon."""

from __future__ import annotations

import threading

import pytest

from claude_comms import InvalidArgument, NotFound, connect
from claude_comms.background.polling_daemon import get_polling_daemon
from claude_comms.core.polling import poll_message_until_complete
from claude_comms.module_communication import module_ask_module
from conftest import CLI_COMMAND, ECHO_AGENT, NODE, Daemon


def finish_later(client, message_id, chunks=("Hello ", "world")):
    """A worker in another thread: processing, some content, complete."""
    def work():
        client.set_status(message_id, "processing")
        for chunk in chunks:
            client.append_content(message_id, chunk)
        client.set_status(message_id, "complete")
    timer = threading.Timer(0.2, work)
    timer.start()
    return timer


def test_poll_message_until_complete_returns_the_original_dict(client, daemon, monkeypatch, capsys):
    monkeypatch.setenv("CLAUDE_COMMS_HOME", daemon.home)
    client.create_message("1234", "5678")
    finish_later(client, "5678")
    result = poll_message_until_complete(thread_id="1234", message_id="5678", timeout=20, print_progress=True)
    assert (result["status"], result["finished"], result["content"], result["error"]) == ("complete", True, "Hello world", None)
    kinds = [(h["kind"], h["status"]) for h in result["history"] if h["kind"] != "progress"]
    assert kinds == [("created", "pending"), ("status_changed", "processing"), ("status_changed", "complete")]
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "[5678] snapshot pending (0 bytes)"
    assert printed[-1] == "[5678] status_changed processing -> complete (11 bytes)"


def test_poll_message_until_complete_at_its_timeout_and_for_a_wrong_thread(client, daemon, monkeypatch):
    monkeypatch.setenv("CLAUDE_COMMS_HOME", daemon.home)
    client.create_message("t", "slow", status="processing")
    result = poll_message_until_complete("t", "slow", timeout=0.5)
    assert (result["status"], result["finished"]) == ("processing", False)
    with pytest.raises(InvalidArgument, match='belongs to thread "t", not "other"'):
        poll_message_until_complete("other", "slow", timeout=1)
    with pytest.raises(NotFound):
        poll_message_until_complete(None, "missing", timeout=1)


def test_the_polling_daemon_starts_a_daemon_through_the_cli(home, monkeypatch):
    monkeypatch.setenv("CLAUDE_COMMS_CLI", CLI_COMMAND)
    poller = get_polling_daemon(home=home)
    started = Daemon(home, [])
    try:
        poller.start()
        with connect(home=home) as client:
            started.pid = client.get_daemon_status().pid
        assert poller.get_active_messages() == {}
    finally:
        poller.shutdown()
        if started.pid:
            started.stop()
    assert get_polling_daemon(home=home) is not poller  # a shut-down one is not handed out again


def test_callbacks_fire_once_in_order_on_one_thread_for_many_messages(client, daemon):
    count = 40
    calls, threads, done = [], set(), threading.Event()

    def on_status_change(message_id, old, new):
        threads.add(threading.get_ident())
        calls.append(("status", message_id, old, new))

    def on_complete(message_id, response):
        threads.add(threading.get_ident())
        calls.append(("complete", message_id, response))
        if sum(1 for c in calls if c[0] == "complete") == count:
            done.set()

    poller = get_polling_daemon(home=daemon.home)
    poller.start()
    try:
        ids = [f"m{i:02d}" for i in range(count)]
        for mid in ids:
            client.create_message("bulk", mid)
            poller.add_message("bulk", mid, on_complete=on_complete, on_status_change=on_status_change, timeout=60)
        assert sorted(poller.get_active_messages()) == ids
        for mid in ids:
            client.set_status(mid, "processing")
            client.append_content(mid, f"answer {mid}")
            client.set_status(mid, "complete")
        assert done.wait(20), f"{sum(1 for c in calls if c[0] == 'complete')} of {count} completions arrived"
        for mid in ids:
            mine = [c for c in calls if c[1] == mid]
            assert mine == [("status", mid, "pending", "processing"), ("status", mid, "processing", "complete"),
                            ("complete", mid, f"answer {mid}")]
        completes = [c[1] for c in calls if c[0] == "complete"]
        assert completes == ids  # in the order they completed
        assert len(threads) == 1 and threading.get_ident() not in threads
        assert poller.get_active_messages() == {}
    finally:
        poller.shutdown()


def test_a_finished_message_calls_back_at_once_and_removal_stops_callbacks(client, daemon):
    got, done = [], threading.Event()
    poller = get_polling_daemon(home=daemon.home)
    poller.start()
    try:
        client.create_message("t", "already", content="old answer", status="complete")
        poller.add_message("t", "already", on_complete=lambda mid, resp: (got.append((mid, resp)), done.set()))
        assert done.wait(10) and got == [("already", "old answer")]
        client.create_message("t", "dropped")
        poller.add_message("t", "dropped", on_complete=lambda mid, resp: got.append((mid, resp)),
                           on_status_change=lambda *a: got.append(a))
        assert poller.get_active_messages()["dropped"]["thread_id"] == "t"
        assert poller.remove_message("dropped") and not poller.remove_message("dropped")
        client.set_status("dropped", "complete")
        marker = threading.Event()
        client.create_message("t", "marker")
        poller.add_message("t", "marker", on_status_change=lambda *a: marker.set())
        client.set_status("marker", "failed", error="x")
        assert marker.wait(10) and got == [("already", "old answer")]
    finally:
        poller.shutdown()
        poller.shutdown()  # idempotent


def test_module_ask_module_with_and_without_waiting(client, daemon, monkeypatch):
    monkeypatch.setenv("CLAUDE_COMMS_HOME", daemon.home)
    client.register_module("helper", daemon.home, agent_command=[NODE, str(ECHO_AGENT)])
    asked = module_ask_module("me", "helper", "[echo] what is 2+2?", wait_for_completion=True, timeout=30)
    assert (asked["status"], asked["response"], asked["error"]) == ("complete", "[echo] what is 2+2?", None)
    later = module_ask_module("me", "helper", "[echo] again", thread_id=asked["thread_id"])
    assert later["thread_id"] == asked["thread_id"] and set(later) == {"thread_id", "question_message_id", "response_message_id"}
    assert client.wait(later["response_message_id"], timeout=20).finished
