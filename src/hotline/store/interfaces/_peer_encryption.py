"""Peer encryption keys: the X25519 key each peer's envelopes are sealed to, after a rotation.

A peer's card names its encryption key; a two-tier peer rotates it by a key
event (docs/protocol/key-events.md §4) carrying a certificate of a higher
serial. The keys desk checks the certificate, then records the switch here:
from then on every envelope (and every ratchet epoch) to that peer is sealed
to the new key. Rows are kept for good (append-only), so what key a peer was
sealed to, and since when, stays on record; the newest serial is the one in
force, and the peer's :class:`~hotline.store.PeerRecord` carries it as its
``encryption_key`` (the card's key until the first switch).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

__all__ = ["PeerEncryptionKey", "PeerEncryptionKeyStore"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PeerEncryptionKey:
    """``party``'s encryption key of certificate serial ``serial``, in force from ``set_at``."""

    party: str
    serial: int
    key: bytes
    set_at: str


class PeerEncryptionKeyStore(ABC):
    """Peers' switched encryption keys, append-only.

    Contract: ``party`` names a stored peer, ``serial`` is positive, ``key``
    is 32 bytes and ``set_at`` a UTC time (StoreError otherwise). A switch
    takes effect only with a serial higher than every one set before for that
    peer: a replayed older key event cannot switch back. A switch also ends
    our outgoing ratchet epoch to the peer (its ``out`` chain is dropped), so
    the next message opens a new epoch, its secret sealed to the new key.
    Messages already sealed are not touched.
    """

    @abstractmethod
    def set_peer_encryption_key(self, item: PeerEncryptionKey) -> bool:
        """Seal to ``item.key`` for ``item.party`` from now on; False (no change) if not newer."""

    @abstractmethod
    def peer_encryption_keys(self, party: str | None = None) -> list[PeerEncryptionKey]:
        """The switches of ``party`` (of every peer for None), oldest first."""
