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

from hotline.crypto import KeyCertificate, PeerCard
from hotline.errors import CryptoError
from hotline.terminal.core.signers import certified_signer

__all__ = ["KEY_ENTRY_KINDS", "BundleKeys", "carries_keys", "rotation_certificate"]

#: Journal kinds that carry a signing key's certificate, and so travel in every export.
KEY_ENTRY_KINDS = frozenset({"key rotated", "peer key certified"})


def rotation_certificate(kind: str, data: Mapping[str, Any]) -> bytes | None:
    """The encoded signing-key certificate a journal entry carries, if it is one that does."""
    if kind not in KEY_ENTRY_KINDS or data.get("kind") != "signing":
        return None
    value = data.get("certificate")
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
    else the selection is, what they signed is verified under them.
    """
    if rotation_certificate(kind, data) is None:
        return False
    return kind == "key rotated" or peer is None or data.get("peer") == peer


class BundleKeys:
    """Each party's certificates, from its card and the rotation entries of a bundle."""

    def __init__(self, cards: Mapping[str, PeerCard]) -> None:
        # The audit's own map of cards, filled as it reads them.
        self._cards = cards
        self._certificates: dict[str, list[KeyCertificate]] = {}

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
        if certificate.party != party or certificate.master_key != card.master:
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
        )
