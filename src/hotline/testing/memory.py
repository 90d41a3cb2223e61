"""An in-memory link: two connected :class:`~hotline.link.Transport` objects, no sockets.

Use it to run two sessions against each other in one event loop, fast and
deterministically. Bytes written on one end arrive at the other in order;
``aclose`` on either end delivers end-of-stream to the other. ``sever()`` cuts
the link without a clean close, as a dead route would.
"""

from __future__ import annotations

import asyncio

from hotline.link import Transport

__all__ = ["MemoryTransport", "memory_link"]


class MemoryTransport(Transport):
    """One end of a :func:`memory_link`."""

    def __init__(
        self, *, peer_key: bytes, peer_address: str, dialed: bool, route: str = "memory"
    ) -> None:
        self.peer_key = peer_key
        self.peer_address = peer_address
        self.dialed = dialed
        self.route = route
        self._inbound: asyncio.Queue[bytes] = asyncio.Queue()
        self._other: MemoryTransport | None = None
        self._closed = False
        self._severed = False
        self.bytes_sent = 0

    async def send(self, data: bytes) -> None:
        if not self.write_now(data):
            raise ConnectionResetError("memory link closed")

    def write_now(self, data: bytes) -> bool:
        # The in-memory link never has to wait, so this is the whole of sending.
        if self._closed:
            return False
        if self._severed:
            return True  # a cut cable swallows what is sent into it, and says nothing
        if self._other is None or self._other._closed:
            return False
        self.bytes_sent += len(data)
        self._other._inbound.put_nowait(bytes(data))
        return True

    async def receive(self) -> bytes:
        if self._closed and self._inbound.empty():
            return b""
        return await self._inbound.get()

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._inbound.put_nowait(b"")
        if self._other is not None and not self._other._closed and not self._severed:
            self._other._inbound.put_nowait(b"")

    def sever(self) -> None:
        """Cut the link silently: nothing more arrives at either end, and nothing says so."""
        for end in (self, self._other):
            if end is not None:
                end._severed = True


def memory_link(
    *, dialer_key: bytes, listener_key: bytes, route: str = "memory"
) -> tuple[MemoryTransport, MemoryTransport]:
    """Return (dialer's end, listener's end). Each end's ``peer_key`` is the other side's key.

    ``route`` names the link on both ends, as a route on the listener's card would.
    """
    dialer = MemoryTransport(
        peer_key=listener_key, peer_address="memory:listener", dialed=True, route=route
    )
    listener = MemoryTransport(
        peer_key=dialer_key, peer_address="memory:dialer", dialed=False, route=route
    )
    dialer._other = listener
    listener._other = dialer
    return dialer, listener
