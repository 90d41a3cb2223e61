"""A peer's pending master change, ended by a recorded check of its new fingerprint.

A peer that changed its master key (docs/keys.md, "Changing the master key")
is kept **pending** by the keys desk (``peer_master_changes``) and its line is
blocked. :func:`~hotline.terminal.config.trust.confirm_peer` asks this module
which fingerprint a check must match (the new card's while a change is
pending) and, once it matches, applies the change in the confirmation's
transaction: the peer's stored card becomes the new one (its master, its
certificate: the TLS anchor), the change is marked confirmed and journaled
``peer master confirmed``. Used by the daemon and by the CLI on a stopped
terminal alike: the pending state is in the store, so it survives restarts.
"""

from __future__ import annotations

import dataclasses

from hotline.crypto import PeerCard, b64url_encode
from hotline.errors import FingerprintMismatch
from hotline.store import PeerMasterChange, PeerRecord, Store

__all__ = ["apply_master_confirmation", "expected_fingerprint", "pending_master_change"]


def pending_master_change(store: Store, party: str) -> PeerMasterChange | None:
    """``party``'s master change awaiting its fingerprint check, if any."""
    return next((c for c in store.peer_master_changes(party) if c.pending), None)


def expected_fingerprint(store: Store, peer: PeerRecord, digits: str) -> str:
    """The fingerprint a check of ``peer`` must match: the pending new card's, else the stored.

    :class:`FingerprintMismatch` when a change is pending and ``digits`` are the
    *old* fingerprint: the operator must read out the new one.
    """
    change = pending_master_change(store, peer.party)
    if change is None:
        return peer.fingerprint
    new = PeerCard.from_json(change.card_json).fingerprint
    if digits == peer.fingerprint and digits != new:
        raise FingerprintMismatch(
            f"{peer.party} changed its master key on {change.received_at}: a new master is "
            f"pending, and the fingerprint given is the old one; compare the NEW fingerprint "
            f"({new}) with {peer.party}'s operator over a channel you trust, then confirm it; "
            "nothing was recorded"
        )
    return new


def apply_master_confirmation(store: Store, peer: PeerRecord, *, at: str) -> bool:
    """Make ``peer``'s pending master the pinned one (in the caller's transaction).

    The stored card, certificate (the TLS anchor) and fingerprint become the
    new card's; the change is marked confirmed and journaled. False if no
    change was pending.
    """
    change = pending_master_change(store, peer.party)
    if change is None:
        return False
    card = PeerCard.from_json(change.card_json)
    store.add_peer(
        dataclasses.replace(
            peer,
            routes=card.routes,
            timezone=card.timezone,
            certificate=card.certificate,
            card_json=card.to_json(),
            fingerprint=card.fingerprint,
        )
    )
    store.confirm_peer_master_change(peer.party, change.new_master, at)
    store.append_journal(
        kind="peer master confirmed",
        at=at,
        data={
            "peer": peer.party,
            "old_master": b64url_encode(change.old_master),
            "new_master": b64url_encode(change.new_master),
            "old_fingerprint": peer.fingerprint,
            "fingerprint": card.fingerprint,
        },
    )
    return True
