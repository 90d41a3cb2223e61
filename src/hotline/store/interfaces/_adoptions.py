"""Adopted outgoing chain positions: where a restored terminal takes up its own chain.

A terminal restored from an older backup holds fewer of its own sent messages
than its peer does. The peer says, in its ``resume``, the highest serial it
holds from us and that envelope's hash (docs/protocol/delivery.md §5.1); the
terminal *adopts* that position, and its next outgoing serial to that peer is
one past it, chained to that hash. The messages between are delivered and held
by the peer, not here: an adoption records the gap (``held_before`` + 1 …
``serial``) so ``verify`` can name it instead of failing the chain.

An adoption is stored once and never changed; a peer may have several (restored
twice), each further on than everything stored before it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

__all__ = ["ChainAdoption", "ChainAdoptionStore"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ChainAdoption:
    """Our outgoing chain to ``peer`` continues after ``serial`` (hash ``envelope_hash``).

    ``held_before`` is the last outgoing serial this store held when it
    adopted: serials ``held_before + 1 … serial`` are the peer's only.
    """

    peer: str
    held_before: int
    serial: int
    envelope_hash: bytes
    adopted_at: str

    @property
    def missing(self) -> int:
        """How many of our own sent messages this store does not hold."""
        return self.serial - self.held_before


class ChainAdoptionStore(ABC):
    """Adopted positions of our outgoing chains.

    Contract: an adoption names a stored peer; ``held_before`` is exactly the
    last outgoing serial stored for it (and at least the last adopted one), and
    ``serial`` lies beyond it; StoreError otherwise. From then on
    :meth:`~hotline.store.interfaces.MessageStore.next_outgoing_serial` is
    ``serial + 1`` with ``envelope_hash`` until a message is stored there, and
    the store refuses any other next serial. Append-only, read oldest first.
    """

    @abstractmethod
    def adopt_outgoing_chain(self, adoption: ChainAdoption) -> None:
        """Store an adoption; StoreError if it breaks the contract."""

    @abstractmethod
    def chain_adoptions(self, peer: str | None = None) -> list[ChainAdoption]:
        """The adoptions for ``peer`` (every peer for None), oldest first."""
