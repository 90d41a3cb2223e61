"""Keys: rotating this terminal's operational keys, and keeping the peers' announced ones.

``hotline key rotate`` (``POST /keys/rotate``) makes a new operational key,
certified by the master key (the next serial), puts it in place crash-safely
(:mod:`hotline.terminal.config.rotation`) and announces it to every peer as a
**key event**: a message of kind ``key`` whose signed body carries the new
key certificates (docs/protocol/key-events.md is the normative text)::

    {"text": <a line for the reader>, "op": "rotate", "certificates": [<bytes>, ...]}

The rotation is journaled (``key rotated``) in the transaction that queues the
key events. A peer checks every certificate against the master key it pinned
from the card (its signatures, the party, the master), stores it (table
``peer_key_certificates``) and journals ``peer key certified`` in one
transaction; a certificate that does not hold is refused (``refusal`` in the
journal) and nothing is stored.

Built so far: the TLS key and the encryption key. A new encryption key is
kept beside the old ones (:mod:`hotline.terminal.config.rotation_encryption`)
so that envelopes peers sealed to the old key still open; a peer receiving
its certificate switches the key it seals to (``peer encryption key
switched``, :meth:`~hotline.store.Store.set_peer_encryption_key`) when the
serial is higher than the one in force, in the transaction that stores the
certificate (docs/protocol/key-events.md §4).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from hotline.crypto import KeyCertificate, PeerCard, Precedence
from hotline.errors import CardInvalid, InvalidArgument
from hotline.store import MessageRecord, PeerEncryptionKey, PeerKeyCertificate, PeerRecord
from hotline.terminal.config.paths import TerminalPaths
from hotline.terminal.config.rotation import rotate_tls
from hotline.terminal.config.rotation_encryption import rotate_encryption
from hotline.terminal.config.tiers import KeyTiers, peer_master
from hotline.terminal.core.desk import Desk, DeskServices
from hotline.terminal.core.inbox import refuse_content
from hotline.terminal.core.outbox import decode_body
from hotline.utc import format_utc

__all__ = ["KEY_EVENT_KIND", "ROTATABLE", "KeyDesk", "KeyRotation", "read_key_event"]

KEY_EVENT_KIND: Final = "key"
"""The message kind of a key event."""

ROTATABLE: Final = ("tls", "encryption")
"""The operational kinds ``hotline key rotate`` can rotate in this version."""

_WHICH: Final = ("signing", "encryption", "tls", "all")
# Three kinds at most, so an event is a few hundred bytes.
_MAX_CERTIFICATES = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyRotation:
    """What one rotation did: the new certificates, and the peers told."""

    certificates: tuple[KeyCertificate, ...]
    announced_to: tuple[str, ...]


class KeyDesk(Desk):
    """Rotates this terminal's keys and keeps the certificates its peers announce."""

    kinds = frozenset({KEY_EVENT_KIND})

    def __init__(self, services: DeskServices) -> None:
        super().__init__(services)
        self._store = services.store
        self._clock = services.clock
        self._tiers = services.key_tiers

    @property
    def tiers(self) -> KeyTiers | None:
        """The master key and every certificate issued, rotations included (None: single-tier)."""
        return self._tiers

    # -- rotating ----------------------------------------------------------------

    def rotate(self, which: str) -> KeyRotation:
        """Rotate the ``which`` key (``tls`` or ``encryption``) and announce it to every peer.

        InvalidArgument for a kind not rotatable yet, or on a single-tier
        terminal (no master key to certify a new key).
        """
        if which not in _WHICH:
            raise InvalidArgument(f"--which is one of {', '.join(_WHICH)}, not {which!r}")
        if which not in ROTATABLE:
            raise InvalidArgument(
                f"rotating the {which} key{'s' if which == 'all' else ''} is not built yet: "
                f"this version rotates {', '.join(ROTATABLE)} (docs/keys.md, 'Not yet')"
            )
        if self._tiers is None:
            raise InvalidArgument(
                "a single-tier terminal has no master key to certify a new key "
                "(docs/keys.md, 'The key hierarchy')"
            )
        paths = TerminalPaths(self.services.directory)
        if which == "encryption":
            self._tiers, certificate = self._rotate_encryption(paths, self._tiers)
        else:
            self._tiers, certificate = rotate_tls(
                paths,
                self.services.identity,
                self._tiers,
                sealed=self.services.keys_sealed,
                now=self._clock.now(),
            )
        removed = self._store.peer_removals()
        peers = [p for p in self._store.list_peers() if p.party not in removed]
        body: dict[str, Any] = {"op": "rotate", "certificates": [certificate.encode()]}
        line = f"KEY ROTATED: {certificate.kind} key {certificate.key_id} (#{certificate.serial})"
        queued: list[MessageRecord] = []
        with self._store.transaction():
            self._store.append_journal(
                kind="key rotated",
                at=format_utc(self._clock.now()),
                data={**_certificate_json(certificate), "announced_to": [p.party for p in peers]},
            )
            for peer in peers:
                queued.append(
                    self.services.outbox.queue(
                        peer=peer,
                        text=line,
                        precedence=Precedence.FLASH,
                        kind=KEY_EVENT_KIND,
                        extra_body=body,
                    )
                )
        for record in queued:
            self.services.lines.queued(record)
        return KeyRotation(certificates=(certificate,), announced_to=tuple(p.party for p in peers))

    def _rotate_encryption(
        self, paths: TerminalPaths, tiers: KeyTiers
    ) -> tuple[KeyTiers, KeyCertificate]:
        # The identity (shared with the inbox) opens with the new key at once,
        # and with the old one still: peers seal to it until the event arrives.
        if self.services.keys_sealed and self.services.key_sealer is None:
            raise InvalidArgument(
                "the keys are sealed and this terminal was opened without the means to seal "
                "a new one (restart it with hotline run)"
            )
        return rotate_encryption(
            paths,
            self.services.identity,
            tiers,
            sealer=self.services.key_sealer,
            now=self._clock.now(),
        )

    # -- receiving ---------------------------------------------------------------

    def received(self, record: MessageRecord) -> None:
        """A key event arrived (verified and stored): check its certificates, keep them."""
        peer = self._store.get_peer(record.peer)
        if peer is None:  # pragma: no cover - the inbox stores only peers' messages
            return
        try:
            certificates = read_key_event(
                decode_body(record.body), party=peer.party, master=peer_master(peer)
            )
        except InvalidArgument as exc:
            refuse_content(self._store, self._clock, record, what="key event", reason=str(exc))
            return
        at = format_utc(self._clock.now())
        switched = False
        with self._store.transaction():
            for certificate in certificates:
                new = self._store.add_peer_key_certificate(
                    PeerKeyCertificate(
                        party=peer.party,
                        key_id=certificate.key_id,
                        kind=certificate.kind,
                        serial=certificate.serial,
                        certificate=certificate.encode(),
                        received_at=at,
                    )
                )
                if new:
                    self._store.append_journal(
                        kind="peer key certified",
                        at=at,
                        data={
                            "peer": peer.party,
                            "message": record.id,
                            **_certificate_json(certificate),
                        },
                    )
                if certificate.kind == "encryption":
                    switched = self._switch_encryption(peer, certificate, record, at) or switched
        if switched:
            self.services.lines.peer_changed(peer.party)

    def _switch_encryption(
        self, peer: PeerRecord, certificate: KeyCertificate, record: MessageRecord, at: str
    ) -> bool:
        """Seal to ``certificate``'s key from now on, if it is newer than the key in force.

        The key in force is of the highest serial switched to, or else the
        card's. An older or equal serial (a replayed event, or the card's own
        key) changes nothing: never back to a retired key.
        """
        if certificate.serial <= _card_encryption_serial(peer):
            return False
        switched = self._store.set_peer_encryption_key(
            PeerEncryptionKey(
                party=peer.party, serial=certificate.serial, key=certificate.public_key, set_at=at
            )
        )
        if switched:
            self._store.append_journal(
                kind="peer encryption key switched",
                at=at,
                data={
                    "peer": peer.party,
                    "message": record.id,
                    "key_id": certificate.key_id,
                    "serial": certificate.serial,
                },
            )
        return switched


def _card_encryption_serial(peer: PeerRecord) -> int:
    # A single-tier card (or one this hotline no longer reads) certifies no
    # serial: any certificate is newer than its key.
    try:
        card = PeerCard.from_json(peer.card_json)
    except CardInvalid:
        return 0
    return max((c.serial for c in card.key_certificates if c.kind == "encryption"), default=0)


def read_key_event(
    body: dict[str, Any], *, party: str, master: bytes
) -> tuple[KeyCertificate, ...]:
    """The certificates of a ``rotate`` key event from ``party``, each checked against ``master``.

    InvalidArgument naming what does not hold: the op, the shape, a
    certificate that does not decode or verify, or one of another party or
    master key (a key event cannot introduce a master: that is a ceremony).
    """
    if body.get("op") != "rotate":
        raise InvalidArgument(f"a key event's op is 'rotate', not {body.get('op')!r}")
    items = body.get("certificates")
    if (
        not isinstance(items, list)
        or not 1 <= len(items) <= _MAX_CERTIFICATES
        or not all(isinstance(item, bytes) for item in items)
    ):
        raise InvalidArgument(
            f"a key event carries 1 to {_MAX_CERTIFICATES} encoded key certificates"
        )
    certificates: list[KeyCertificate] = []
    for item in items:
        try:
            certificate = KeyCertificate.decode(item)
        except CardInvalid as exc:
            raise InvalidArgument(str(exc)) from None
        if certificate.party != party:
            raise InvalidArgument(
                f"key certificate {certificate.key_id} is of {certificate.party!r}, not {party!r}"
            )
        if certificate.master_key != master:
            raise InvalidArgument(
                f"key certificate {certificate.key_id} is not certified by {party}'s "
                "master key as pinned here"
            )
        certificates.append(certificate)
    if len({c.kind for c in certificates}) != len(certificates):
        raise InvalidArgument("a key event carries at most one certificate per kind")
    return tuple(certificates)


def _certificate_json(certificate: KeyCertificate) -> dict[str, Any]:
    return {
        "key_id": certificate.key_id,
        "kind": certificate.kind,
        "serial": certificate.serial,
        "not_before": certificate.not_before,
        "not_after": certificate.not_after,
    }
