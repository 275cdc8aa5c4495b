"""gRPC status codes reach Python as one exception class each, with the daemon's message."""

from __future__ import annotations

import pytest

from claude_comms import (AlreadyExists, ClaudeCommsError, FailedPrecondition, InvalidArgument, NotFound,
                          Unavailable, connect)


def test_codes_map_to_their_exception_classes(client):
    client.create_thread("t1")
    with pytest.raises(AlreadyExists) as taken:
        client.create_thread("t1")
    assert taken.value.code.name == "ALREADY_EXISTS" and isinstance(taken.value, ClaudeCommsError)
    with pytest.raises(NotFound, match='message "ghost" not found'):
        client.add_message("ghost")
    with pytest.raises(InvalidArgument, match="message_id"):
        client.show_message("")
    client.create_message("t1", "done", status="complete")
    with pytest.raises(FailedPrecondition, match="is complete, which is final"):
        client.set_status("done", "processing")
    with pytest.raises(NotFound):
        client.remove_module("no-such-module")


def test_a_bad_status_name_is_refused_before_any_call(client):
    with pytest.raises(ValueError, match='unknown status "finished"'):
        client.set_status("m", "finished")


def test_no_daemon_is_unavailable_and_says_how_to_start_one(home):
    with connect(home=home) as client, pytest.raises(Unavailable) as error:
        client.get_daemon_status(timeout=5)
    assert f"daemon not running at unix:{home}/daemon.sock (start it with: claude-comms poll start)" in str(error.value)


def test_bad_connection_arguments_say_what_to_change(monkeypatch):
    with pytest.raises(ValueError, match='invalid address "nope": use HOST:PORT'):
        connect(address="nope")
    monkeypatch.setenv("CLAUDE_COMMS_TOKEN", "a")
    monkeypatch.setenv("CLAUDE_COMMS_TOKEN_FILE", "/x")
    with pytest.raises(ValueError, match="both CLAUDE_COMMS_TOKEN and CLAUDE_COMMS_TOKEN_FILE are set"):
        connect()
