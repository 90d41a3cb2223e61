"""The in-memory link: ordered delivery, end of stream, and a silent cut."""

from __future__ import annotations

import asyncio

import pytest

from hotline.testing import memory_link

DIALER, LISTENER = b"d" * 32, b"l" * 32


def test_bytes_arrive_in_order_and_each_end_knows_the_other() -> None:
    async def main() -> None:
        dialer, listener = memory_link(dialer_key=DIALER, listener_key=LISTENER)
        assert (dialer.peer_key, dialer.dialed) == (LISTENER, True)
        assert (listener.peer_key, listener.dialed) == (DIALER, False)
        for chunk in (b"one", b"two", b"three"):
            await dialer.send(chunk)
        assert [await listener.receive() for _ in range(3)] == [b"one", b"two", b"three"]
        assert dialer.bytes_sent == 11

    asyncio.run(main())


def test_close_is_end_of_stream_at_both_ends_and_further_sends_fail() -> None:
    async def main() -> None:
        dialer, listener = memory_link(dialer_key=DIALER, listener_key=LISTENER)
        await dialer.aclose()
        assert await listener.receive() == b""
        assert await dialer.receive() == b""
        with pytest.raises(ConnectionResetError):
            await dialer.send(b"late")
        with pytest.raises(ConnectionResetError):
            await listener.send(b"to nobody")

    asyncio.run(main())


def test_sever_swallows_everything_and_says_nothing() -> None:
    async def main() -> None:
        dialer, listener = memory_link(dialer_key=DIALER, listener_key=LISTENER)
        dialer.sever()
        await dialer.send(b"into the cut cable")  # no error: a cut line does not say so
        await listener.send(b"nor this way")
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(listener.receive(), 0.05)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(dialer.receive(), 0.05)
        await dialer.aclose()  # closing one end of a cut line tells the other nothing
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(listener.receive(), 0.05)

    asyncio.run(main())
