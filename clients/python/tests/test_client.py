"""connect() and the typed methods of every RPC, against a real daemon."""

from __future__ import annotations

import os
import threading

import pytest

from claude_comms import Client, NotFound, Unauthenticated, connect, kind_name, resolve_target, status_name
from claude_comms.v1 import message_pb2


def test_connect_finds_the_daemon_through_claude_comms_home(daemon, monkeypatch):
    monkeypatch.setenv("CLAUDE_COMMS_HOME", daemon.home)
    with connect() as client:
        status = client.get_daemon_status()
    assert status.pid == daemon.pid
    assert f"unix:{os.path.join(daemon.home, 'daemon.sock')}" in status.listen


def test_every_message_and_polling_rpc(client: Client):
    thread = client.create_thread("t1", title="py", modules=["a", "b"], metadata={"k": 1}).thread
    assert (thread.thread_id, list(thread.modules), thread.metadata["k"]) == ("t1", ["a", "b"], 1)
    created = client.create_message("t1", "m1", module="a", type="question", metadata={"x": "y"}).message
    assert (created.message_id, status_name(created.status)) == ("m1", "pending")
    added = client.add_message("m1", thread_id="t1", timeout=60, labels={"who": "py"})
    assert added.created and added.message.monitor.labels["who"] == "py"
    client.set_status("m1", "processing")
    assert client.append_content("m1", "hello ").content_length == 6
    client.append_content("m1", "world")
    listed = client.list_messages(status="processing", thread_id="t1")
    assert [m.message_id for m in listed.messages] == ["m1"]
    shown = client.show_message("m1", include_content=True)
    assert shown.message.content == "hello world"
    assert [kind_name(e.kind) for e in shown.history][:3] == ["created", "registered", "status_changed"]
    assert client.get_thread("t1").messages[0].message_id == "m1"
    assert client.remove_message("m1").message.message_id == "m1"
    assert len(client.list_messages(thread_id="t1").messages) == 0
    cancelled = client.cancel_message("m1", reason="enough").message
    assert (status_name(cancelled.status), cancelled.error) == ("cancelled", "enough")
    assert client.get_daemon_status().head_seq >= len(client.show_message("m1").history)


def test_module_rpcs(client: Client, home):
    registered = client.register_module("helper", home, system_prompt="be brief")
    assert registered.created and registered.module.system_prompt == "be brief"
    assert [m.name for m in client.list_modules().modules] == ["helper"]
    client.remove_module("helper")
    assert list(client.list_modules().modules) == []


def test_list_messages_pages(client: Client):
    for i in range(5):
        client.create_message("pages", f"p{i}")
    first = client.list_messages(all=True, thread_id="pages", page_size=2)
    second = client.list_messages(all=True, thread_id="pages", page_size=2, page_token=first.next_page_token)
    assert [m.message_id for m in [*first.messages, *second.messages]] == ["p0", "p1", "p2", "p3"]


def test_watch_yields_a_snapshot_then_every_change_until_terminal(client: Client):
    client.create_message("t", "w1")
    watch = client.watch("w1")
    seen = [next(watch)]  # the snapshot: from here on nothing can be missed
    writer = threading.Thread(target=lambda: (client.set_status("w1", "processing"), client.set_status("w1", "complete")))
    writer.start()
    seen += list(watch)
    writer.join()
    assert [(kind_name(e.kind), status_name(e.to_status)) for e in seen] == [
        ("snapshot", "pending"), ("status_changed", "processing"), ("status_changed", "complete")]
    assert [e.seq for e in seen] == sorted({e.seq for e in seen})
    assert watch.last_seq == seen[-1].seq


def test_watch_after_seq_replays_and_watch_many_filters(client: Client):
    client.create_message("ta", "a1")
    client.create_message("tb", "b1")
    head = client.get_daemon_status().head_seq
    client.set_status("a1", "processing")
    client.set_status("b1", "processing")
    client.set_status("a1", "complete")
    replayed = list(client.watch("a1", after_seq=head))
    assert [status_name(e.to_status) for e in replayed] == ["processing", "complete"]
    many = client.watch_many(thread_id="ta", after_seq=head, timeout=1.5)
    assert [(e.message_id, status_name(e.to_status)) for e in many] == [("a1", "processing"), ("a1", "complete")]
    with client.watch_many(statuses=["processing"], after_seq=head, heartbeats=True, timeout=5) as live:
        events = [next(live), next(live)]
    assert [e.message_id for e in events] == ["a1", "b1"]


def test_wait_returns_when_terminal_or_at_its_timeout(client: Client):
    client.create_message("t", "x1")
    early = client.wait("x1", timeout=0.3)
    assert (early.finished, status_name(early.message.status)) == (False, "pending")
    threading.Timer(0.2, lambda: client.set_status("x1", "failed", error="boom")).start()
    done = client.wait("x1", timeout=10)
    assert (done.finished, status_name(done.message.status), done.message.error) == (True, "failed", "boom")


def test_the_token_from_the_environment_or_the_home_token_file(home, tmp_path, monkeypatch):
    from conftest import Daemon
    token_file = tmp_path / "token"
    token_file.write_text("s3cret-token-of-enough-length-0123456789\n")
    monkeypatch.setenv("CLAUDE_COMMS_TOKEN_FILE", str(token_file))
    daemon = Daemon(home, ["--listen", "127.0.0.1:0"]).start()
    try:
        address = daemon.listen[1]
        with connect(address=address) as client:
            assert client.get_daemon_status().pid == daemon.pid
        monkeypatch.delenv("CLAUDE_COMMS_TOKEN_FILE")
        with connect(address=address) as client, pytest.raises(Unauthenticated, match="missing bearer token"):
            client.get_daemon_status()
        (tmp_path / "h").mkdir()
        (tmp_path / "h" / "token").write_text(token_file.read_text())
        with connect(home=str(tmp_path / "h"), address=address) as client:
            assert client.get_daemon_status().pid == daemon.pid
        # The home's token goes to a loopback address only, never across the network.
        assert resolve_target(home=str(tmp_path / "h"), address="10.0.0.1:7777").token is None
        assert resolve_target(home=str(tmp_path / "h")).token is None
    finally:
        daemon.kill()


def test_a_missing_message_is_not_found(client: Client):
    with pytest.raises(NotFound, match='message "nope" not found'):
        client.show_message("nope")
