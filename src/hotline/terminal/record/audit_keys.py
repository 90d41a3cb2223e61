"""The signing keys of each party in an export, for ``hotline audit`` across rotations.

A party's card names its address (its first signing key) and its master key.
A signing key rotated since is certified by that master in a key certificate,
which the journal entries of the rotation carry (hex): ``key rotated`` on the
rotating side, ``peer key certified`` on its peers'. ``hotline export``
includes those entries, so a bundle is self-sufficient: :class:`BundleKeys`
reads them before anything else is checked (a certificate needs no log to be
trusted: the master's signature, under the card's pinned master, is what
counts), and answers which key verifies what a party signed, when.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from hotline.crypto import KeyCertificate, MasterTransition, PeerCard
from hotline.errors import CryptoError
from hotline.terminal.core.signers import certified_signer

__all__ = [
    "KEY_ENTRY_KINDS",
    "TRANSITION_KINDS",
    "BundleKeys",
    "carries_keys",
    "rotation_certificate",
    "transition_of",
]

#: Journal kinds that carry a signing key's certificate, and so travel in every export.
KEY_ENTRY_KINDS = frozenset({"key rotated", "peer key certified"})
#: Journal kinds that carry a master transition (hex): ours, and a peer's as received.
TRANSITION_KINDS = frozenset({"master key changed", "peer master changed (pending)"})
#: An earlier or later master's certificates count whenever issued (see BundleKeys).
_UNBOUNDED = 2**63 - 1


def transition_of(kind: str, data: Mapping[str, Any]) -> bytes | None:
    """The encoded master transition a journal entry carries, if it is one that does."""
    return _hex_field(data, "transition") if kind in TRANSITION_KINDS else None


def rotation_certificate(kind: str, data: Mapping[str, Any]) -> bytes | None:
    """The encoded signing-key certificate a journal entry carries, if it is one that does."""
    if kind not in KEY_ENTRY_KINDS or data.get("kind") != "signing":
        return None
    return _hex_field(data, "certificate")


def _hex_field(data: Mapping[str, Any], name: str) -> bytes | None:
    value = data.get(name)
    if not isinstance(value, str):
        return None
    try:
        return bytes.fromhex(value)
    except ValueError:
        return None


def carries_keys(kind: str, data: Mapping[str, Any], peer: str | None) -> bool:
    """Whether an export selecting ``peer`` (None: every peer) takes this entry for its keys.

    Every signing-key rotation of the exporter (``key rotated``), and the
    certified keys of the peers selected (``peer key certified``): whatever
    else the selection is, what they signed is verified under them. Likewise
    the master transitions (``master key changed``, ``peer master changed
    (pending)``) that link those certificates' masters to the cards'.
    """
    if rotation_certificate(kind, data) is None and transition_of(kind, data) is None:
        return False
    return kind in ("key rotated", "master key changed") or peer is None or data.get("peer") == peer


class BundleKeys:
    """Each party's certificates, from its card and the rotation entries of a bundle."""

    def __init__(self, cards: Mapping[str, PeerCard]) -> None:
        # The audit's own map of cards, filled as it reads them.
        self._cards = cards
        self._certificates: dict[str, list[KeyCertificate]] = {}
        self._transitions: dict[str, list[MasterTransition]] = {}

    def take_transition(self, party: str, encoded: bytes) -> str | None:
        """Keep a master transition of ``party``'s; why not, if it does not hold (None: kept).

        Signed by both masters, it links the old to the new: a certificate
        either issued counts for the party (:meth:`other_masters`). Read
        before any certificate is taken.
        """
        try:
            transition = MasterTransition.decode(encoded)
        except CryptoError as exc:
            return f"a master transition of {party} does not verify: {exc}"
        if transition.party != party:
            return f"the master transition is of {transition.party!r}, not {party!r}"
        self._transitions.setdefault(party, []).append(transition)
        return None

    def other_masters(self, card: PeerCard) -> dict[bytes, int]:
        """The party's masters the bundle's transitions link to ``card``'s.

        An earlier one maps to the time it handed on (its certificates count
        if issued by then: a leaked old master cannot certify a key later);
        a later one (the card exported while a change was pending) is unbounded.
        """
        linked: dict[bytes, int] = {card.master: _UNBOUNDED}
        grown = True
        while grown:
            grown = False
            for item in self._transitions.get(card.party, ()):
                if item.new_master in linked and item.old_master not in linked:
                    linked[item.old_master] = item.at
                    grown = True
                elif item.old_master in linked and item.new_master not in linked:
                    linked[item.new_master] = _UNBOUNDED
                    grown = True
        del linked[card.master]
        return linked

    def _held(self, card: PeerCard) -> list[KeyCertificate]:
        return self._certificates.setdefault(card.party, list(card.key_certificates))

    def take(self, party: str, encoded: bytes) -> str | None:
        """Keep a certificate of ``party``'s; why not, if it does not hold (None: kept)."""
        card = self._cards.get(party)
        if card is None:
            # Nothing that party signed can be in the bundle without its card.
            return None
        try:
            certificate = KeyCertificate.decode(encoded)
        except CryptoError as exc:
            return f"a key certificate of {party} does not verify: {exc}"
        masters = {card.master, *self.other_masters(card)}
        if certificate.party != party or certificate.master_key not in masters:
            return (
                f"key certificate {certificate.key_id} is not certified for {party} "
                "by the master key of its card"
            )
        self._held(card).append(certificate)
        return None

    def keys_of(self, card: PeerCard) -> tuple[bytes, ...]:
        """``card``'s party's signing keys: the address first, then each certified one."""
        later = (
            c.public_key
            for c in self._held(card)
            if c.kind == "signing" and c.public_key != card.signing_key
        )
        return (card.signing_key, *dict.fromkeys(later))

    def signing_key(self, card: PeerCard, signer: bytes | None, at: str | datetime) -> bytes:
        """The key that verifies what ``card``'s party signed with ``"sk"`` ``signer`` at ``at``.

        :class:`~hotline.errors.WrongSigner` if ``signer`` is not a signing
        key certified for the party at that time.
        """
        return certified_signer(
            self._held(card),
            party=card.party,
            address=card.signing_key,
            master=card.master,
            signer=signer,
            at=at,
            earlier=self.other_masters(card),
        )
