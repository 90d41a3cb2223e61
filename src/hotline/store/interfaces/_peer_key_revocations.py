"""Peer key revocations: the operational keys each peer's master key has withdrawn.

A two-tier peer that suspects a leaked operational key revokes it
(``hotline key revoke``, docs/keys.md "Revocation"): its master key signs a
revocation, and the peer announces it over the line as a key event
(docs/protocol/key-events.md). This terminal checks it against the master
key it pinned and stores it here; from then on it refuses what that key
signs. A revocation is kept for good, never changed. The store holds the
encoded revocation as received and repeats the fields enforcement looks up
(the key, and since when it is compromised); it does not parse it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

__all__ = ["PeerKeyRevocation", "PeerKeyRevocationStore"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PeerKeyRevocation:
    """One revocation of ``party``'s, as received.

    ``revocation`` is :meth:`hotline.crypto.KeyRevocation.encode`'s bytes;
    ``key_id``, ``kind``, ``public_key`` and ``compromised_since`` (Unix
    seconds) repeat what it says, for lookups.
    """

    party: str
    key_id: str
    kind: str
    public_key: bytes
    compromised_since: int
    revocation: bytes
    received_at: str


class PeerKeyRevocationStore(ABC):
    """Key revocations of peers, append-only.

    Contract: ``party`` names a stored peer; ``kind`` is an operational kind
    (``signing``, ``encryption``, ``tls``); ``public_key`` is 32 bytes;
    ``compromised_since`` is a non-negative integer; the other fields are
    non-empty (StoreError otherwise). One revocation per (party, key id):
    :meth:`add_peer_key_revocation` returns False for the same bytes stored
    again (a key event re-delivered) and raises StoreError for different
    bytes under a revoked key id. Read back oldest first.
    """

    @abstractmethod
    def add_peer_key_revocation(self, item: PeerKeyRevocation) -> bool:
        """Store ``item``; False if it was stored already (same bytes)."""

    @abstractmethod
    def peer_key_revocations(self, party: str | None = None) -> list[PeerKeyRevocation]:
        """The revocations of ``party`` (of every peer for None), oldest first."""
