"""The byte transport a session runs over: a small ABC and its asyncio-stream implementation.

A :class:`Transport` is an authenticated, ordered, reliable byte pipe to one
peer. The TLS layer (``hotline.link.tls``) produces them from real sockets;
``hotline.testing.MemoryLink`` produces them in memory for tests. The session
code above never knows which it has.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from types import TracebackType

from hotline.crypto import certificate_public_key
from hotline.errors import CardInvalid

__all__ = ["StreamTransport", "Transport"]

_READ_CHUNK = 256 * 1024


class Transport(ABC):
    """An authenticated byte pipe to one peer."""

    #: The peer's Ed25519 public key, as proven by the transport's authentication.
    peer_key: bytes
    #: Where the peer is, for logs ("127.0.0.1:7001").
    peer_address: str
    #: True if we opened the connection (we dialed), False if we accepted it.
    dialed: bool
    #: The route this transport runs over, named as on the listening side's card
    #: ("10.0.1.2:7000"): the address dialed, or the listener's own address. Both
    #: ends of one connection name it the same way.
    route: str

    @abstractmethod
    async def send(self, data: bytes) -> None:
        """Write bytes and wait until the transport has accepted them."""

    def presented_key(self) -> bytes | None:
        """The raw Ed25519 key of the TLS certificate the peer presented (its leaf).

        ``peer_key`` is the identity the certificate stands for (a leaf's
        issuer); this is the key that did the handshake, which a peer may
        have revoked (docs/keys.md, "Revocation"). None without TLS.
        """
        return None

    def write_now(self, data: bytes) -> bool:
        """Hand ``data`` to the transport at once, without waiting, if it can take it.

        True if it took the bytes (they go out in order after everything written
        before); False if the caller must use :meth:`send` instead (the
        transport is closed, or has unsent bytes waiting: flow control then
        applies). The session writes a frame this way when its writer is idle,
        so a receipt leaves as soon as its commit is done, not after the next
        pass of the event loop. The default never takes any.
        """
        return False

    @abstractmethod
    async def receive(self) -> bytes:
        """Return the next bytes; ``b""`` means the peer closed its side."""

    @abstractmethod
    async def aclose(self) -> None:
        """Close the transport; safe to call more than once."""

    async def __aenter__(self) -> Transport:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class StreamTransport(Transport):
    """A :class:`Transport` over an asyncio stream pair (TLS already established)."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        peer_key: bytes,
        peer_address: str,
        dialed: bool,
        route: str,
        initial: bytes = b"",
    ) -> None:
        #: Bytes already read from the stream (the dialer reads the peer's first
        #: bytes to learn whether it was accepted); handed out first.
        self._initial = initial
        self._reader = reader
        self._writer = writer
        self.peer_key = peer_key
        self.peer_address = peer_address
        self.dialed = dialed
        self.route = route
        self._closed = False

    def presented_key(self) -> bytes | None:
        ssl_object = self._writer.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        if not der:
            return None
        try:
            return certificate_public_key(der)
        except CardInvalid:
            # The handshake accepted it and _peer_key read it: not reached in practice.
            return None

    async def send(self, data: bytes) -> None:
        if self._closed:
            raise ConnectionResetError("transport closed")
        self._writer.write(data)
        await self._writer.drain()

    def write_now(self, data: bytes) -> bool:
        # Only into an empty buffer: with bytes still waiting (a slow or stopped
        # reader) the session's writer sends and waits, and judges the stall.
        transport = self._writer.transport
        if self._closed or transport.is_closing() or transport.get_write_buffer_size():
            return False
        self._writer.write(data)
        return True

    async def receive(self) -> bytes:
        if self._closed:
            return b""
        if self._initial:
            data, self._initial = self._initial, b""
            return data
        try:
            return await self._reader.read(_READ_CHUNK)
        except (ConnectionError, OSError):
            # A reset is an end of stream for the session above: it reacts the same way.
            return b""

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._writer.close()
        # A peer that vanished, or stopped reading, must not hang shutdown: after a
        # grace period the unsent bytes are dropped and the socket is closed at once.
        try:
            async with asyncio.timeout(2.0):
                await self._writer.wait_closed()
        except asyncio.CancelledError:
            # Stopping: TLS's closing exchange would outlive the event loop, and
            # the socket under it with it. Close the socket now.
            self._writer.transport.abort()
            raise
        except Exception:
            self._writer.transport.abort()
