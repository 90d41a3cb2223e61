"""Peer key certificates: the operational keys each peer's master key has certified.

A two-tier peer (docs/keys.md, "The key hierarchy") rotates its operational
keys: it announces each new key certificate over the line as a key event
(docs/protocol/key-events.md), and this terminal stores it here once it has
checked it against the master key it pinned. A certificate is kept for good,
never changed, so the old key keeps verifying what it signed while it was
current. The store holds the encoded certificate as received; it does not
parse it (the keys desk and ``hotline verify`` do).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

__all__ = ["PEER_KEY_KINDS", "PeerKeyCertificate", "PeerKeyStore"]

#: The operational key kinds a certificate may be of (hotline.crypto.KEY_KINDS).
PEER_KEY_KINDS = ("signing", "encryption", "tls")


@dataclass(frozen=True, slots=True, kw_only=True)
class PeerKeyCertificate:
    """One certificate of ``party``'s, as received.

    ``certificate`` is :meth:`hotline.crypto.KeyCertificate.encode`'s bytes;
    ``key_id``, ``kind`` and ``serial`` repeat what it says, for lookups.
    """

    party: str
    key_id: str
    kind: str
    serial: int
    certificate: bytes
    received_at: str


class PeerKeyStore(ABC):
    """Key certificates of peers, append-only.

    Contract: ``party`` names a stored peer; ``kind`` is one of
    :data:`PEER_KEY_KINDS`; ``serial`` is positive; the other fields are
    non-empty (StoreError otherwise). One certificate per (party, key id):
    :meth:`add_peer_key_certificate` returns False for the same bytes stored
    again (a key event re-delivered) and raises StoreError for different bytes
    under a stored key id. Read back oldest first.
    """

    @abstractmethod
    def add_peer_key_certificate(self, item: PeerKeyCertificate) -> bool:
        """Store ``item``; False if it was stored already (same bytes)."""

    @abstractmethod
    def peer_key_certificates(self, party: str | None = None) -> list[PeerKeyCertificate]:
        """The certificates of ``party`` (of every peer for None), oldest first."""
