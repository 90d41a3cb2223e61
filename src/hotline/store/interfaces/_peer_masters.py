"""Peer master changes: a peer's announced new master key, pending until a recorded check.

A two-tier peer may change its master key (docs/keys.md, "Changing the master
key"): it announces a master transition, signed by the old master and
counter-signed by the new one, with its new card, over the line (a key event
of op ``master``, docs/protocol/key-events.md). Once the keys desk has checked
it against the master it pinned, it is stored here **pending**: the line to
the peer is blocked until an operator records an out-of-band check of the new
fingerprint (``hotline peer confirm``), which marks it confirmed. The row is
kept for good: the old master's TLS anchor keeps identifying the peer, and the
record says when its identity moved. The store does not parse the transition
or the card (the keys desk does).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

__all__ = ["PeerMasterChange", "PeerMasterStore"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PeerMasterChange:
    """One master change of ``party``'s, as received.

    ``transition`` is :meth:`hotline.crypto.MasterTransition.encode`'s bytes,
    ``card_json`` the peer's new card, ``old_certificate`` the TLS anchor that
    was pinned before (the old master's self-signed certificate).
    ``confirmed_at`` is None while the change is pending.
    """

    party: str
    old_master: bytes
    new_master: bytes
    transition: bytes
    card_json: str
    old_certificate: bytes
    received_at: str
    confirmed_at: str | None = None

    @property
    def pending(self) -> bool:
        """Whether no fingerprint check has confirmed it yet."""
        return self.confirmed_at is None


class PeerMasterStore(ABC):
    """Peers' master changes: added pending, confirmed once, never deleted.

    Contract: ``party`` names a stored peer; both masters are 32 bytes and
    differ; the other fields are non-empty (StoreError otherwise). At most one
    pending change per party: adding another is a StoreError.
    :meth:`add_peer_master_change` returns False for the same change stored
    again (a key event re-delivered: same party, new master and transition).
    Only ``confirmed_at`` ever changes, once. Read back oldest first.
    """

    @abstractmethod
    def add_peer_master_change(self, change: PeerMasterChange) -> bool:
        """Store ``change`` (pending); False if it was stored already."""

    @abstractmethod
    def peer_master_changes(self, party: str | None = None) -> list[PeerMasterChange]:
        """The master changes of ``party`` (of every peer for None), oldest first."""

    @abstractmethod
    def confirm_peer_master_change(self, party: str, new_master: bytes, confirmed_at: str) -> None:
        """Mark ``party``'s pending change to ``new_master`` confirmed; StoreError if none is."""
