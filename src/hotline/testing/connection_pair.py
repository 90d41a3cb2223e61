"""Two sans-IO connections joined back to back, for tests (h11's tests/helpers.py).

:class:`ConnectionPair` holds the two ends of one hotline session, ``A`` and
``B``, with no network between them: what one side's ``send`` returns is fed
straight into the other side's ``receive_data``. Its :meth:`ConnectionPair.send`
asserts that the receiving side produced exactly the event that was sent, so a
test states the conversation and the pair checks both codecs and both state
machines at every step.

This helper imports only :mod:`hotline.proto` (and the error tree); tests of higher layers use it to
get an open session without sockets or TLS.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from enum import Enum

from hotline.proto import (
    DEFAULT_MAX_FRAME_SIZE,
    KEY_SIZE,
    Close,
    Connection,
    ConnectionClosed,
    ConnectionState,
    Event,
)

__all__ = ["ConnectionPair", "Side"]


class Side(Enum):
    """One end of a :class:`ConnectionPair`."""

    A = "a"
    B = "b"

    @property
    def other(self) -> Side:
        """The opposite end."""
        return Side.B if self is Side.A else Side.A


class ConnectionPair:
    """Connections ``a`` and ``b``, each pinned to the other's key.

    Keys default to fresh random 32-byte strings: the protocol layer compares
    keys but never uses them cryptographically, so any distinct values will do.
    ``chunk_size`` makes :meth:`deliver` feed bytes in pieces of that size
    (1 = one byte at a time) instead of all at once.
    """

    def __init__(
        self,
        *,
        key_a: bytes | None = None,
        key_b: bytes | None = None,
        versions_a: tuple[int, ...] = (1,),
        versions_b: tuple[int, ...] = (1,),
        max_frame_size: int = DEFAULT_MAX_FRAME_SIZE,
        chunk_size: int | None = None,
    ) -> None:
        if chunk_size is not None and chunk_size < 1:
            raise ValueError(f"chunk_size must be at least 1, not {chunk_size}")
        self.chunk_size = chunk_size
        self.key_a = os.urandom(KEY_SIZE) if key_a is None else key_a
        self.key_b = os.urandom(KEY_SIZE) if key_b is None else key_b
        self.a = Connection(
            our_key=self.key_a,
            peer_key=self.key_b,
            versions=versions_a,
            agent="hotline-test-a",
            max_frame_size=max_frame_size,
        )
        self.b = Connection(
            our_key=self.key_b,
            peer_key=self.key_a,
            versions=versions_b,
            agent="hotline-test-b",
            max_frame_size=max_frame_size,
        )

    def connection(self, side: Side) -> Connection:
        """The Connection at ``side``."""
        return self.a if side is Side.A else self.b

    def deliver(self, to: Side, data: bytes) -> list[Event]:
        """Feed ``data`` to the connection at ``to`` and return every event it yields.

        With ``chunk_size`` set, the bytes go in that many at a time and events
        are collected after each piece, as a slow transport would deliver them.
        ``b""`` is EOF, as for :meth:`Connection.receive_data`.
        """
        receiver = self.connection(to)
        if not data or self.chunk_size is None:
            receiver.receive_data(data)
            return list(receiver.events())
        received: list[Event] = []
        for start in range(0, len(data), self.chunk_size):
            receiver.receive_data(data[start : start + self.chunk_size])
            received.extend(receiver.events())
        return received

    def send(
        self, side: Side, event: Event, *, expect: Sequence[Event] | None = None
    ) -> list[Event]:
        """Send ``event`` from ``side``, deliver it to the other side, return what arrived.

        Raises AssertionError unless the other side produced exactly ``expect``
        (by default ``[event]``).
        """
        data = self.connection(side).send(event)
        received = self.deliver(side.other, data)
        expected = [event] if expect is None else list(expect)
        if received != expected:
            raise AssertionError(f"{side.other.name} received {received!r}, expected {expected!r}")
        return received

    def handshake(self) -> None:
        """Both sides send their Hello at once, then each receives the other's.

        Raises AssertionError unless both end OPEN on the same version.
        """
        from_a = self.a.send(self.a.hello())
        from_b = self.b.send(self.b.hello())
        for side, data, hello in (
            (Side.B, from_a, self.a.hello()),
            (Side.A, from_b, self.b.hello()),
        ):
            received = self.deliver(side, data)
            if received != [hello]:
                raise AssertionError(f"{side.name} received {received!r}, expected {[hello]!r}")
        if self.a.state is not ConnectionState.OPEN or self.b.state is not ConnectionState.OPEN:
            raise AssertionError(f"handshake left A {self.a.state.name}, B {self.b.state.name}")
        if self.a.version != self.b.version:
            raise AssertionError(f"A chose version {self.a.version}, B {self.b.version}")

    def close(self, side: Side, close: Close) -> None:
        """The full close started by ``side``: its Close, the answer in kind, EOF both ways.

        Raises AssertionError unless both ends finish CLOSED after a clean close.
        """
        self.send(side, close)
        self.send(side.other, close)
        for closer in (side, side.other):
            received = self.hang_up(closer)
            if received != [ConnectionClosed(clean=True)]:
                raise AssertionError(
                    f"{closer.other.name} saw {received!r} on EOF, not a clean close"
                )
        if self.a.state is not ConnectionState.CLOSED or self.b.state is not ConnectionState.CLOSED:
            raise AssertionError(f"close left A {self.a.state.name}, B {self.b.state.name}")

    def hang_up(self, side: Side) -> list[Event]:
        """``side`` closes its transport: the other side gets EOF. Returns its events."""
        return self.deliver(side.other, b"")
