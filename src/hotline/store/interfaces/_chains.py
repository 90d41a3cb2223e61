"""Protocol v2 state per peer: the message-key chains, the version it speaks, batch delivery.

Protocol v2 (docs/protocol/envelope.md §12, receipts.md §6) keeps a little state
per peer that v1 did not need: the symmetric ratchet of each direction (so the
next message key can be derived, and the used ones forgotten), the highest
session protocol version the peer has spoken (so the outbox seals envelopes it
can open), and receipts that cover a range of serials at once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from hotline.store.records import Direction

__all__ = ["ChainRecord", "ChainStore"]


@dataclass(frozen=True, slots=True)
class ChainRecord:
    """One direction's ratchet: the epoch (opening serial), the next index, the chain key."""

    epoch: int
    index: int
    key: bytes

    def __repr__(self) -> str:
        # The key never reaches a log line or a traceback.
        return f"ChainRecord(epoch={self.epoch}, index={self.index}, key=<{len(self.key)} bytes>)"


class ChainStore(ABC):
    """Ratchet chains, peer protocol versions and range delivery.

    Contract: a chain is replaced whole by :meth:`set_chain` (the previous key is
    overwritten, never kept beside the new one); a peer's protocol version only
    changes through :meth:`set_peer_protocol`, 1 until then; :meth:`deliver_range`
    moves only outgoing messages without a receipt, each at most once, and
    stores the same receipt on each of them.
    """

    @abstractmethod
    def chain(self, peer: str, direction: Direction) -> ChainRecord | None:
        """The stored chain of this peer and direction, or None."""

    @abstractmethod
    def set_chain(self, peer: str, direction: Direction, chain: ChainRecord) -> None:
        """Store this direction's chain, replacing the previous one (UnknownPeer if unknown)."""

    @abstractmethod
    def peer_protocol(self, peer: str) -> int:
        """The highest session protocol version the peer has spoken with us (1 if never stored)."""

    @abstractmethod
    def set_peer_protocol(self, peer: str, version: int) -> None:
        """Remember the session protocol version the peer spoke (UnknownPeer if unknown)."""

    @abstractmethod
    def envelope_hashes(
        self, peer: str, direction: Direction, first_serial: int, last_serial: int
    ) -> list[bytes]:
        """Envelope hashes of the messages with ``peer`` one way, serials first..last, in order.

        Shorter than the range if some serial is not stored (the caller compares).
        """

    @abstractmethod
    def deliver_range(
        self,
        peer: str,
        first_serial: int,
        last_serial: int,
        *,
        receipt: bytes,
        delivered_at: str,
        transmitted_at: str | None = None,
    ) -> list[tuple[str, int]]:
        """Mark every unreceipted outgoing message to ``peer`` in the range delivered.

        Each gets ``receipt``, ``delivered_at`` and, if it had none,
        ``transmitted_at``. Returns (id, serial) of each newly delivered, in serial order.
        """
