"""The asyncio client against a real daemon."""

from __future__ import annotations

import asyncio

import pytest

from claude_comms import NotFound, aio, kind_name, status_name


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))


def test_rpcs_watch_and_wait(daemon):
    async def scenario():
        async with aio.connect(home=daemon.home) as client:
            created = await client.create_message("t", "a1", content="hi")
            assert created.message.content_length == 2
            await client.add_message("a1", timeout=30)
            watch = client.watch("a1")
            snapshot = await watch.__anext__()

            async def work():
                await client.set_status("a1", "processing")
                await client.append_content("a1", " there")
                await client.set_status("a1", "complete")

            worker = asyncio.ensure_future(work())
            rest = [event async for event in watch]
            await worker
            waited = await client.wait("a1", timeout=5)
            return snapshot, rest, waited

    snapshot, rest, waited = run(scenario())
    assert (kind_name(snapshot.kind), status_name(snapshot.to_status)) == ("snapshot", "pending")
    statuses = [status_name(e.to_status) for e in rest if kind_name(e.kind) == "status_changed"]
    assert statuses == ["processing", "complete"]
    assert [e.seq for e in rest] == sorted(e.seq for e in rest) and rest[0].seq > snapshot.seq
    assert waited.finished and waited.message.content_length == 8


def test_watch_many_and_cancel(daemon):
    async def scenario():
        async with aio.connect(home=daemon.home) as client:
            await client.create_message("t", "b1")
            head = (await client.get_daemon_status()).head_seq
            await client.set_status("b1", "processing")
            watch = client.watch_many(message_ids=["b1"], after_seq=head)
            first = await watch.__anext__()
            watch.cancel()
            remaining = [event async for event in watch]
            return first, remaining

    first, remaining = run(scenario())
    assert (first.message_id, status_name(first.to_status)) == ("b1", "processing")
    assert remaining == []


def test_errors_are_mapped(daemon):
    async def scenario():
        async with aio.connect(home=daemon.home) as client:
            with pytest.raises(NotFound, match='message "nope" not found'):
                await client.show_message("nope")
            with pytest.raises(NotFound):
                async for _ in client.watch("nope"):
                    pass

    run(scenario())
