"""This terminal's own party and its peers, from their cards."""

from __future__ import annotations

from abc import ABC, abstractmethod

from hotline.store.records import PartyRecord, PeerRecord

__all__ = ["PeerStore"]


class PeerStore(ABC):
    """The party this terminal speaks for, set once, and the peers it speaks to.

    Contract: the party is set once (AlreadyInitialised after). A peer is known by
    its party name and by its signing key, each unique; a peer's keys are never
    replaced silently, and neither its name nor its key may be the terminal's own
    (PeerConflict). A re-issued card (same keys) updates the card's fields and
    keeps ``added_at``. The last-contact time lives beside the peer, not in its card.
    """

    @abstractmethod
    def get_party(self) -> PartyRecord | None:
        """This terminal's party, or None before ``set_party``."""

    @abstractmethod
    def set_party(self, party: PartyRecord) -> None:
        """Record this terminal's party, once; AlreadyInitialised if one is set.

        PeerConflict if a peer already has that name or signing key.
        """

    @abstractmethod
    def add_peer(self, peer: PeerRecord) -> bool:
        """Add a peer; True if new.

        If the same party is already there with the same keys, its card fields
        (routes, timezone, certificate, card_json, fingerprint) are replaced and
        False is returned. The same name with other keys, the same signing key
        under another name, or this terminal's own name or key: PeerConflict.
        """

    @abstractmethod
    def get_peer(self, party: str) -> PeerRecord | None:
        """The peer of that party name, if known."""

    @abstractmethod
    def get_peer_by_key(self, signing_key: bytes) -> PeerRecord | None:
        """The peer whose signing key this is, if known."""

    @abstractmethod
    def list_peers(self) -> list[PeerRecord]:
        """Every peer, ordered by party name."""

    @abstractmethod
    def last_contact(self, peer: str) -> str | None:
        """When the peer was last heard from, or None (never, or unknown peer)."""

    @abstractmethod
    def set_last_contact(self, peer: str, at: str) -> None:
        """Record when the peer was last heard from; UnknownPeer if not a peer."""
