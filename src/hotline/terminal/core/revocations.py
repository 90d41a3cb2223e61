"""Revoked keys: the one check that refuses what a peer's revoked key signs.

A peer revokes a leaked operational key with ``hotline key revoke``; its key
event reaches this terminal, the keys desk checks it against the pinned
master and stores it (``peer_key_revocations``, docs/keys.md "Revocation").
From then on, anything that key signs is refused:

* signed (its claimed time, the envelope's ``sent_at`` or the receipt's
  ``received_at``) at or after the key's ``compromised_since``; and
* whatever time it claims, once the revocation is held: a thief can backdate
  ``sent_at``, and the owner stopped using the key when it rotated, so nothing
  new from it is legitimate.

So on the live path every use of a revoked key is refused; the claimed time
only changes what the refusal says. ``hotline verify`` and ``audit`` look at
stored records, which arrived before the revocation, and flag those signed at
or after the compromise (:func:`signed_after_compromise`).

:class:`RevokedKeys` keeps the revocations per peer in memory (read from the
store once per peer, added to as new ones are stored), so the check on every
envelope costs a dictionary lookup. The one resolver of peers' signing keys
(:class:`hotline.terminal.core.signers.Signers`, built with these) calls
:meth:`RevokedKeys.revoked_key_problem` for every signature a live verifier
checks: envelopes, receipts, link tests and their receipts, checkpoints and
cosignatures; the daemon calls it for a peer's TLS key.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from hotline.errors import KeyRevoked
from hotline.store import PeerKeyRevocation, Store
from hotline.terminal.core.alarms import REVOKED_KEY_USED, AlarmBoard
from hotline.utc import format_utc, from_epoch, parse_utc

__all__ = ["RevokedKeys", "refuse_revoked_use", "signed_after_compromise"]

log = logging.getLogger("hotline.revocations")


def _epoch(at: str | datetime | int | None) -> int | None:
    if at is None or isinstance(at, int):
        return at
    moment = at
    if isinstance(at, str):
        try:
            moment = parse_utc(at)
        except ValueError:
            # An unreadable claimed time is no excuse: the key is refused anyway.
            return None
    assert isinstance(moment, datetime)
    return int(moment.timestamp())


def signed_after_compromise(
    revocations: Iterable[PeerKeyRevocation], public_key: bytes, at: str | datetime | int | None
) -> PeerKeyRevocation | None:
    """The revocation of ``public_key`` if ``at`` (its signing time) is at or after its compromise.

    For records kept from before the revocation (``verify``, ``audit``): what
    was signed before the compromise stays good. An unreadable ``at`` counts
    as after.
    """
    seconds = _epoch(at)
    for item in revocations:
        if item.public_key == public_key and (seconds is None or seconds >= item.compromised_since):
            return item
    return None


class RevokedKeys:
    """The peers' revoked keys, cached per peer; the live check of every signature."""

    def __init__(self, store: Store) -> None:
        self._store = store
        #: party -> {public key: its revocation}; a party not here is read on first use.
        self._by_party: dict[str, dict[bytes, PeerKeyRevocation]] = {}

    def _of(self, party: str) -> dict[bytes, PeerKeyRevocation]:
        held = self._by_party.get(party)
        if held is None:
            held = {r.public_key: r for r in self._store.peer_key_revocations(party)}
            self._by_party[party] = held
        return held

    def add(self, item: PeerKeyRevocation) -> None:
        """A revocation was stored (its transaction committed): enforce it from now on."""
        self._of(item.party)[item.public_key] = item

    def revoked(self, party: str) -> tuple[PeerKeyRevocation, ...]:
        """``party``'s revocations, oldest first."""
        return tuple(self._of(party).values())

    def revoked_key_problem(
        self, party: str, public_key: bytes, at: str | datetime | int | None
    ) -> str | None:
        """Why something ``party``'s ``public_key`` signed at ``at`` is refused; None if it is not.

        ``at`` is the signing time it claims (UTC text, a datetime or Unix
        seconds). Every use after the revocation is refused whatever ``at``
        says; the text tells a use claimed after the compromise from a
        backdated one.
        """
        item = self._of(party).get(bytes(public_key))
        if item is None:
            return None
        since = format_utc(from_epoch(item.compromised_since))
        seconds = _epoch(at)
        if at is None:
            when = "used after the revocation (what it signed claims no time)"
        elif seconds is not None and seconds < item.compromised_since:
            when = (
                f"it claims {format_utc(from_epoch(seconds))}, before the compromise "
                f"({since}), but arrived after the revocation received {item.received_at}: "
                "a backdated forgery"
            )
        else:
            when = f"signed at or after its compromise ({since})"
        return f"signed by {party}'s revoked key {item.key_id}: {when}"


def refuse_revoked_use(
    *,
    alarms: AlarmBoard,
    journal: Callable[[str, dict[str, Any]], object],
    peer: str,
    what: str,
    error: KeyRevoked,
    **details: object,
) -> None:
    """Journal the refusal of ``what`` (a link test, a checkpoint…) ``peer``'s revoked key
    signed, and raise ``revoked-key-used``, as the inbox and outbox do for envelopes
    and receipts."""
    log.warning("%s from %s refused: %s", what, peer, error)
    journal(
        "refusal",
        {
            "peer": peer,
            "what": what,
            "error": type(error).__name__,
            "reason": str(error),
            **details,
        },
    )
    alarms.raise_alarm(kind=REVOKED_KEY_USED, peer=peer, route=None, detail=f"{what} {error}")
