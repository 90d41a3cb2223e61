"""Peer confirmations and removals: who checked a peer's fingerprint out of band, and peers removed.

``peer add`` asks the operator to compare the peer's fingerprint with its
operator over another channel; ``hotline peer confirm`` records that it was
done: the fingerprint read out, how (phone, in person, video), by whom and
when, signed by this terminal's key (docs/keys.md). A confirmation is stored
once and never changed; a peer may be confirmed many times (a new operator,
a new card).

``hotline peer remove`` marks a peer removed: its records stay (messages, the
journal), its line is refused from then on. A removal is one row per party
while it holds; ``peer add --readd`` clears it (and the journal says so).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

__all__ = ["CONFIRMATION_METHODS", "PeerConfirmation", "PeerConfirmationStore", "PeerRemoval"]

#: How a fingerprint may have been compared.
CONFIRMATION_METHODS = ("phone", "in-person", "video")


@dataclass(frozen=True, slots=True, kw_only=True)
class PeerConfirmation:
    """One recorded out-of-band fingerprint check of ``party``.

    ``signature`` is this terminal's Ed25519 signature over the other fields
    in canonical CBOR (:func:`hotline.terminal.config.trust.confirmation_bytes`).
    """

    party: str
    fingerprint: str
    method: str
    confirmed_by: str
    confirmed_at: str
    signature: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class PeerRemoval:
    """``party`` (whose card had ``fingerprint``) removed at ``removed_at``."""

    party: str
    fingerprint: str
    removed_at: str


class PeerConfirmationStore(ABC):
    """Recorded fingerprint checks and removed peers.

    Contract: both name a stored peer (StoreError otherwise). Confirmations
    are append-only and read back oldest first. :meth:`mark_peer_removed`
    refuses (StoreError) a peer already removed; :meth:`clear_peer_removal`
    says whether there was a removal to clear. Empty fields, a method not in
    :data:`CONFIRMATION_METHODS` and a signature not of 64 bytes are refused.
    """

    @abstractmethod
    def add_peer_confirmation(self, confirmation: PeerConfirmation) -> None:
        """Store a confirmation; StoreError if it breaks the contract."""

    @abstractmethod
    def peer_confirmations(self, party: str | None = None) -> list[PeerConfirmation]:
        """The confirmations of ``party`` (of every peer for None), oldest first."""

    @abstractmethod
    def mark_peer_removed(self, removal: PeerRemoval) -> None:
        """Mark a peer removed; StoreError if it is not stored or already removed."""

    @abstractmethod
    def peer_removals(self) -> dict[str, PeerRemoval]:
        """Every removed peer, by party."""

    @abstractmethod
    def clear_peer_removal(self, party: str) -> bool:
        """Clear ``party``'s removal (a re-add); False if it was not removed."""
