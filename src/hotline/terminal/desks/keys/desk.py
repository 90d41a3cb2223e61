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

A key event of op ``master`` (a master change) goes to
:mod:`hotline.terminal.desks.keys.master`.

``hotline key revoke`` (``POST /keys/revoke``) has the master key sign a
revocation of one of this terminal's operational keys that is no longer
current, keeps it (``keys/revocations.cbor``) and announces it as a key event
of op ``revoke``::

    {"text": <a line for the reader>, "op": "revoke", "revocation": <bytes>}

journaled (``key revoked``) in the transaction that queues the events. A
peer checks it against the pinned master, stores it
(``peer_key_revocations``), journals ``peer key revoked``, raises a
``key-revoked`` alarm, and from then on refuses what that key signs
(:class:`hotline.terminal.core.revocations.RevokedKeys`).

Rotating the signing key: a new signing key is staged and announced in a key
event the *old* key signs; the terminal switches to
it (:func:`~hotline.terminal.config.rotation.switch_signing`) once every peer
has receipted that event, so nothing the new key signs reaches a peer that
cannot verify it yet. Until then the old key signs, as before. A peer keeps
the certificate and tells its :class:`~hotline.terminal.core.signers.Signers`,
which from then on accepts envelopes, receipts, link tests, checkpoints and
cosignatures carrying the new key in ``"sk"``.

Rotating the encryption key: a new one is
kept beside the old ones (:mod:`hotline.terminal.config.rotation_encryption`)
so that envelopes peers sealed to the old key still open; a peer receiving
its certificate switches the key it seals to (``peer encryption key
switched``, :meth:`~hotline.store.Store.set_peer_encryption_key`) when the
serial is higher than the one in force, in the transaction that stores the
certificate (docs/protocol/key-events.md §4).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from hotline.crypto import (
    Identity,
    KeyCertificate,
    KeyRevocation,
    PeerCard,
    Precedence,
    SealingKey,
    Signer,
)
from hotline.errors import CardInvalid, InvalidArgument
from hotline.store import (
    Direction,
    MessageRecord,
    MessageState,
    PeerEncryptionKey,
    PeerKeyCertificate,
    PeerKeyRevocation,
    PeerRecord,
)
from hotline.terminal.config.paths import TerminalPaths
from hotline.terminal.config.revocations import (
    add_revocation,
    drop_pending_revocation,
    pending_revocation,
    read_revocations,
    stage_revocation,
)
from hotline.terminal.config.rotation import (
    rotate_tls,
    stage_signing,
    stage_token_signing,
    switch_signing,
)
from hotline.terminal.config.rotation_encryption import rotate_encryption
from hotline.terminal.config.tiers import KeyTiers, peer_master
from hotline.terminal.config.token import TokenMaster
from hotline.terminal.core.alarms import KEY_REVOKED
from hotline.terminal.core.desk import Desk, DeskServices
from hotline.terminal.core.inbox import refuse_content
from hotline.terminal.core.outbox import decode_body
from hotline.terminal.desks.keys.expiry import check_expiry
from hotline.terminal.desks.keys.master import MasterChange, change_our_master, take_master_event
from hotline.terminal.desks.keys.revoke import revocable, sign_revocation
from hotline.utc import format_utc, from_epoch, parse_utc

__all__ = [
    "KEY_EVENT_KIND",
    "KeyDesk",
    "KeyRevocationSent",
    "KeyRotation",
    "ROTATABLE",
    "read_key_event",
    "read_revocation_event",
]

log = logging.getLogger("hotline.keys")

KEY_EVENT_KIND: Final = "key"
"""The message kind of a key event."""

ROTATABLE: Final = ("signing", "encryption", "tls")
"""The operational kinds ``hotline key rotate`` can rotate in this version."""

_WHICH: Final = (*ROTATABLE, "all")
# Three kinds at most, so an event is a few hundred bytes.
_MAX_CERTIFICATES = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyRotation:
    """What one rotation did: the new certificates, and the peers told."""

    certificates: tuple[KeyCertificate, ...]
    announced_to: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyRevocationSent:
    """What one revocation did: the signed revocation, and the peers told."""

    revocation: KeyRevocation
    announced_to: tuple[str, ...]
    #: The certificates of the rotation done first (revoking the current key of a kind).
    rotated: tuple[KeyCertificate, ...] = ()
    #: The signing key in use: announced once the terminal has switched to the new key.
    pending: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class _PendingSwitch:
    """A staged signing key, waiting for every peer to receipt the key event announcing it."""

    signer: Signer
    certificate: KeyCertificate
    #: The key events queued (one per peer): the switch waits for all to be delivered.
    events: tuple[str, ...]


class KeyDesk(Desk):
    """Rotates this terminal's keys and keeps the certificates its peers announce."""

    kinds = frozenset({KEY_EVENT_KIND})

    def __init__(self, services: DeskServices) -> None:
        super().__init__(services)
        self._store = services.store
        self._clock = services.clock
        self._tiers = services.key_tiers
        self._pending: _PendingSwitch | None = None
        #: The revocation of the signing key in use, announced after the switch.
        self._revoking = pending_revocation(TerminalPaths(services.directory))
        self._rotation_refused = False

    @property
    def tiers(self) -> KeyTiers | None:
        """The master key and every certificate issued, rotations included (None: single-tier)."""
        return self._tiers

    # -- rotating ----------------------------------------------------------------

    def rotate(self, which: str) -> KeyRotation:
        """Rotate the ``which`` key (``signing``, ``encryption``, ``tls`` or ``all``) and
        announce it to every peer.

        ``all`` rotates each kind in turn, one key event each (the signing key
        last: it switches once every peer has receipted its event).
        InvalidArgument on a single-tier terminal (no master key to certify a
        new key), or while a signing key waits for its receipts.
        """
        if which not in _WHICH:
            raise InvalidArgument(f"--which is one of {', '.join(_WHICH)}, not {which!r}")
        if self._tiers is None:
            raise InvalidArgument(
                "a single-tier terminal has no master key to certify a new key "
                "(docs/keys.md, 'The key hierarchy')"
            )
        if which == "all":
            if self._pending is not None:
                # Refused before anything rotates, not after the first two kinds.
                return self._rotate_signing(self._tiers)
            rotations = [self.rotate(kind) for kind in ("encryption", "tls", "signing")]
            return KeyRotation(
                certificates=tuple(c for r in rotations for c in r.certificates),
                announced_to=rotations[0].announced_to,
            )
        if which == "signing":
            return self._rotate_signing(self._tiers)
        paths = TerminalPaths(self.services.directory)
        if which == "encryption":
            _check_encryption_rotatable(self.services.identity, sealed=self.services.keys_sealed)
            self._tiers, certificate = self._rotate_encryption(paths, self._tiers)
        else:
            self._tiers, certificate = rotate_tls(
                paths,
                self.services.identity,
                self._tiers,
                sealed=self.services.keys_sealed,
                now=self._clock.now(),
            )
        announced_to, _ = self._announce_rotation(certificate)
        return KeyRotation(certificates=(certificate,), announced_to=announced_to)

    def _announce_rotation(
        self, certificate: KeyCertificate
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Journal the rotation and queue its key event to every peer: the peers, the events' ids."""
        return self._announce(
            journal="key rotated",
            data=_certificate_json(certificate),
            text=f"KEY ROTATED: {certificate.kind} key {certificate.key_id} (#{certificate.serial})",
            body={"op": "rotate", "certificates": [certificate.encode()]},
        )

    def _rotate_encryption(
        self, paths: TerminalPaths, tiers: KeyTiers
    ) -> tuple[KeyTiers, KeyCertificate]:
        # The identity (shared with the inbox) opens with the new key at once,
        # and with the old one still: peers seal to it until the event arrives.
        return rotate_encryption(
            paths, self.services.identity, tiers, sealer=self._sealer(), now=self._clock.now()
        )

    def _sealer(self) -> SealingKey | None:
        """What seals a new key file as the others are (None: raw keys)."""
        if self.services.keys_sealed and self.services.key_sealer is None:
            raise InvalidArgument(
                "the keys are sealed and this terminal was opened without the means to seal "
                "a new one (restart it with hotline run)"
            )
        return self.services.key_sealer

    def _rotate_signing(self, tiers: KeyTiers) -> KeyRotation:
        """Stage a new signing key, announce it under the old one; switch once all receipted."""
        identity = self.services.identity
        if self._pending is not None:
            raise InvalidArgument(
                f"the signing key {self._pending.certificate.key_id} is waiting for every "
                "peer to receipt its key event; rotate again once it signs"
            )
        paths = TerminalPaths(self.services.directory)
        signer: Signer
        if identity.in_software:
            self._tiers, certificate, signer = stage_signing(
                paths, identity, tiers, sealer=self._sealer(), now=self._clock.now()
            )
        else:
            # The master and the signing key both in a token (docs/keys.md §6): the
            # new key is generated in the token, under a label of its own.
            self._tiers, certificate, signer = stage_token_signing(
                paths, identity, tiers, now=self._clock.now()
            )
        # Queued (sealed and signed by the old key) before the switch, in any case.
        announced_to, events = self._announce_rotation(certificate)
        self._pending = _PendingSwitch(signer=signer, certificate=certificate, events=events)
        self._switch_when_receipted()
        return KeyRotation(certificates=(certificate,), announced_to=announced_to)

    def load(self) -> None:
        """The terminal starts: a signing key a stop left staged waits for its receipts again.

        The rotation's journal entry and its key events were written in one
        transaction: if events carrying the staged certificate are in the
        outbox, the switch waits for them as before the stop; if there are
        none, the stop came before that transaction, and the key is announced
        now (docs/keys.md §7, "A stop between staging and switching").
        """
        staged = self.services.staged_signing
        if staged is None or self._tiers is None or self._pending is not None:
            return
        events = self._key_events_of(staged.certificate)
        if not events:
            _, events = self._announce_rotation(staged.certificate)
        self._pending = _PendingSwitch(
            signer=staged.signer, certificate=staged.certificate, events=events
        )

    def _key_events_of(self, certificate: KeyCertificate) -> tuple[str, ...]:
        """The ids of the key events queued to announce ``certificate``, one per peer told."""
        encoded = certificate.encode()
        found: list[str] = []
        for peer in self._store.list_peers():
            for record in self._sent_since(peer.party, certificate.not_before):
                if record.kind != KEY_EVENT_KIND:
                    continue
                body = decode_body(record.body)
                if body.get("op") == "rotate" and encoded in body.get("certificates", ()):
                    found.append(record.id)
                    break
        return tuple(found)

    def _sent_since(self, party: str, since: int) -> list[MessageRecord]:
        """What we sent ``party`` at or after ``since`` (Unix seconds), newest first.

        Read in growing pages, so a start with a key staged reads the few
        messages since the staging, not the line's whole history.
        """
        limit = 64
        while True:
            page = self._store.list_messages(peer=party, direction=Direction.OUT, limit=limit)
            recent = [m for m in page if parse_utc(m.created_at).timestamp() >= since]
            if len(recent) < len(page) or len(page) < limit:
                return recent
            limit *= 4

    def tick(self) -> None:
        self._switch_when_receipted()
        self._announce_pending_revocation()
        self._warn_expiring()

    def _warn_expiring(self) -> None:
        """``key-expiring`` for each key in use whose certificate ends soon (desks/keys/expiry.py)."""
        if self._tiers is None:
            return
        signer = self.services.identity.signer_public
        # The signing key in use, not one staged and waiting for its switch.
        in_use = [
            c for c in self._tiers.certificates if c.kind == "signing" and c.public_key == signer
        ] + [c for c in self._tiers.current() if c.kind != "signing"]
        check_expiry(
            in_use,
            alarms=self.services.alarms,
            party=self.services.settings.party,
            directory=self.services.directory,
            now=self._clock.now(),
            warn_days=self.services.settings.alarms.key_expiring_days,
        )

    def _switch_when_receipted(self) -> None:
        pending = self._pending
        if pending is None:
            return
        for message_id in pending.events:
            record = self._store.get_message(message_id)
            if record is not None and record.state is not MessageState.DELIVERED:
                return
        self._pending = None
        switch_signing(
            TerminalPaths(self.services.directory),
            self.services.identity,
            pending.signer,
            sealed=self.services.keys_sealed,
        )
        self._store.append_journal(
            kind="signing key switched",
            at=format_utc(self._clock.now()),
            data={"key_id": pending.certificate.key_id, "serial": pending.certificate.serial},
        )
        self.services.key_files_changed()

    @property
    def pending_signing_key(self) -> KeyCertificate | None:
        """The staged signing key waiting for the peers' receipts, if any."""
        return None if self._pending is None else self._pending.certificate

    # -- revoking ----------------------------------------------------------------

    def revoke(
        self, key_id: str, *, reason: str, compromised_since: datetime | None = None
    ) -> KeyRevocationSent:
        """Revoke this terminal's operational key ``key_id`` and announce it to every peer.

        ``compromised_since`` (default: now) is when the key may have leaked:
        peers refuse what it signed from then on, and anything it signs that
        reaches them after the revocation. The current key of its kind is
        rotated first (desks/keys/revoke.py): a TLS or encryption key is then
        revoked at once; the signing key in use is revoked once the terminal
        has switched to the new one (``pending`` in the answer, announced by
        :meth:`tick`). InvalidArgument for what :func:`revocable` and
        :func:`sign_revocation` refuse.
        """
        target = revocable(
            self._tiers,
            key_id,
            directory=self.services.directory,
            signer_in_use=self.services.identity.signer_public,
            staged=self.pending_signing_key,
        )
        assert self._tiers is not None  # revocable refuses a single-tier terminal
        revocation = sign_revocation(
            self._tiers,
            target.certificate,
            party=self.services.settings.party,
            reason=reason,
            compromised_since=compromised_since,
            now=self._clock.now(),
        )
        rotated = self.rotate(target.certificate.kind) if target.rotate_first else None
        new = () if rotated is None else rotated.certificates
        if target.after_switch:
            # Signed now, told after the switch: the revoked key signs nothing after it.
            stage_revocation(TerminalPaths(self.services.directory), revocation)
            self._store.append_journal(
                kind="key revocation pending",
                at=format_utc(self._clock.now()),
                data=_revocation_json(revocation),
            )
            self._revoking = revocation
            self._announce_pending_revocation()
            announced: tuple[str, ...] = ()
        else:
            announced = self._revoke_now(revocation)
        return KeyRevocationSent(
            revocation=revocation,
            announced_to=announced,
            rotated=new,
            pending=target.after_switch and self._revoking is not None,
        )

    def _revoke_now(self, revocation: KeyRevocation) -> tuple[str, ...]:
        """Keep ``revocation`` and tell every peer: the peers told."""
        # Kept first: the decision stands even if telling the peers fails (a
        # later start still shows the key revoked, and the journal says who was told).
        add_revocation(TerminalPaths(self.services.directory), revocation)
        return self._tell_revocation(revocation)

    def _tell_revocation(self, revocation: KeyRevocation) -> tuple[str, ...]:
        since = format_utc(from_epoch(revocation.compromised_since))
        told, _ = self._announce(
            journal="key revoked",
            data={**_revocation_json(revocation), "revocation": revocation.encode().hex()},
            text=(
                f"KEY REVOKED: {revocation.kind} key {revocation.key_id} "
                f"(compromised since {since}): {revocation.reason}"
            ),
            body={"op": "revoke", "revocation": revocation.encode()},
        )
        return told

    def _announce_pending_revocation(self) -> None:
        """Announce the revocation of the signing key we switched away from (at each beat).

        Announced first, then kept, then the pending file dropped: a crash in
        between announces it again at the next start, which a peer holding the
        same revocation ignores. A pending revocation whose rotation a restart
        lost (the key still signs, no switch waits) rotates again.
        """
        revocation = self._revoking
        if revocation is None:
            return
        identity = self.services.identity
        if revocation.public_key == identity.signer_public:
            if self._pending is None and not self._rotation_refused:
                try:
                    self.rotate("signing")
                except InvalidArgument as exc:
                    # Said once (the beat comes back every second); key list shows it pending.
                    self._rotation_refused = True
                    log.error("the revocation of %s waits: %s", revocation.key_id, exc)
            return
        paths = TerminalPaths(self.services.directory)
        self._tell_revocation(revocation)
        if all(held.key_id != revocation.key_id for held in read_revocations(paths)):
            add_revocation(paths, revocation)
        drop_pending_revocation(paths)
        self._revoking = None

    def _announce(
        self, *, journal: str, data: dict[str, Any], text: str, body: dict[str, Any]
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Journal ``journal`` and queue one key event to every peer not removed, in one
        transaction, then hand the events to their lines: the peers told, the events' ids.

        The journal entry's ``data`` gains ``announced_to``.
        """
        removed = self._store.peer_removals()
        peers = [p for p in self._store.list_peers() if p.party not in removed]
        queued: list[MessageRecord] = []
        with self._store.transaction():
            self._store.append_journal(
                kind=journal,
                at=format_utc(self._clock.now()),
                data={**data, "announced_to": [p.party for p in peers]},
            )
            self.services.key_files_changed()  # for a standby, with the entry (docs/ha.md §6)
            for peer in peers:
                queued.append(
                    self.services.outbox.queue(
                        peer=peer,
                        text=text,
                        precedence=Precedence.FLASH,
                        kind=KEY_EVENT_KIND,
                        extra_body=body,
                    )
                )
        for record in queued:
            self.services.lines.queued(record)
        return tuple(p.party for p in peers), tuple(r.id for r in queued)

    def _revocation_received(
        self, record: MessageRecord, peer: PeerRecord, body: dict[str, Any]
    ) -> None:
        try:
            revocation = read_revocation_event(body, party=peer.party, master=peer_master(peer))
        except InvalidArgument as exc:
            refuse_content(self._store, self._clock, record, what="key event", reason=str(exc))
            return
        at = format_utc(self._clock.now())
        item = PeerKeyRevocation(
            party=peer.party,
            key_id=revocation.key_id,
            kind=revocation.kind,
            public_key=revocation.public_key,
            compromised_since=revocation.compromised_since,
            revocation=revocation.encode(),
            received_at=at,
        )
        for held in self._store.peer_key_revocations(peer.party):
            if held.key_id == item.key_id:
                if held.revocation != item.revocation:
                    # The first one stands: a second could only move the compromise time.
                    refuse_content(
                        self._store,
                        self._clock,
                        record,
                        what="key event",
                        reason=f"{peer.party}'s key {item.key_id} is revoked already, "
                        f"by another revocation received {held.received_at}",
                    )
                return
        with self._store.transaction():
            self._store.add_peer_key_revocation(item)
            self._store.append_journal(
                kind="peer key revoked",
                at=at,
                data={"peer": peer.party, "message": record.id}
                | _revocation_json(revocation)
                | {"revocation": revocation.encode().hex()},
            )
        if self.services.revoked_keys is not None:
            self.services.revoked_keys.add(item)
        self.services.alarms.raise_alarm(
            kind=KEY_REVOKED,
            peer=peer.party,
            route=None,
            detail=(
                f"{peer.party} revoked its {revocation.kind} key {revocation.key_id}, "
                f"compromised since {format_utc(from_epoch(revocation.compromised_since))}: "
                f"{revocation.reason}"
            ),
        )

    # -- changing the master key --------------------------------------------------

    def change_master(self, *, passphrase: bytes | None, to_software: bool = False) -> MasterChange:
        """Change the master key and announce it to every peer (desks/keys/master.py).

        ``to_software`` moves a master held in a PKCS#11 token out of it: the
        new master is a key file (the only change of a token master built).
        InvalidArgument on a single-tier terminal, for a token master without
        ``to_software`` or ``to_software`` without one; PassphraseMissing or
        WrongPassphrase when the keys are sealed and ``passphrase`` does not
        open them.
        """
        in_token = self._tiers is not None and isinstance(self._tiers.master, TokenMaster)
        if in_token and not to_software:
            # A new master in the token (a new label there) is not built yet (docs/keys.md §6).
            raise InvalidArgument(
                "this terminal's master key is in a PKCS#11 token: changing it to a new key "
                "in the token is not supported yet; --to-software moves it out of the token "
                "(a new master key file, docs/keys.md §7b)"
            )
        if to_software and not in_token:
            raise InvalidArgument("--to-software is for a master key held in a PKCS#11 token")
        queued: list[MessageRecord] = []
        old = self._tiers
        change = change_our_master(self.services, self._tiers, passphrase=passphrase, queued=queued)
        self._tiers = change.tiers
        self.services.key_files_changed()
        if old is not None and isinstance(old.master, TokenMaster):
            old.master.close()  # out of the token now: its session ends here
        for record in queued:
            self.services.lines.queued(record)
        return change

    # -- receiving ---------------------------------------------------------------

    def received(self, record: MessageRecord) -> None:
        """A key event arrived (verified and stored): check its certificates, keep them."""
        peer = self._store.get_peer(record.peer)
        if peer is None:  # pragma: no cover - the inbox stores only peers' messages
            return
        body = decode_body(record.body)
        if body.get("op") == "revoke":
            self._revocation_received(record, peer, body)
            return
        if body.get("op") == "master":
            take_master_event(self.services, record, peer)
            return
        try:
            certificates = read_key_event(body, party=peer.party, master=peer_master(peer))
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
                    # Any kind: the signers also hold the encryption and TLS validity.
                    if self.services.signers is not None:
                        self.services.signers.forget(peer.party)
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


def _check_encryption_rotatable(identity: Identity, *, sealed: bool) -> None:
    """InvalidArgument when the TLS key's password derives from the encryption key.

    With the signing key in a token (and the master there too, §6), a sealed
    terminal's ``tls/key.pem`` is encrypted under a password the encryption key
    gives: a new encryption key would leave it unopenable at the next start.
    """
    if sealed and not identity.in_software:
        raise InvalidArgument(
            "the signing key is in a PKCS#11 token and the keys are sealed: tls/key.pem is "
            "encrypted under a password the encryption key gives, so rotating the encryption "
            "key is not supported yet (docs/keys.md §6)"
        )


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


def read_revocation_event(body: dict[str, Any], *, party: str, master: bytes) -> KeyRevocation:
    """The revocation of a ``revoke`` key event from ``party``, checked against ``master``.

    InvalidArgument naming what does not hold: the shape, a revocation that
    does not decode or verify, or one of another party or master key.
    """
    if body.get("op") != "revoke":
        raise InvalidArgument(f"a revocation key event's op is 'revoke', not {body.get('op')!r}")
    encoded = body.get("revocation")
    if not isinstance(encoded, bytes):
        raise InvalidArgument("a revocation key event carries one encoded key revocation")
    revocation = KeyRevocation.decode(encoded)
    if revocation.party != party:
        raise InvalidArgument(
            f"key revocation of {revocation.key_id} is of {revocation.party!r}, not {party!r}"
        )
    if revocation.master_key != master:
        raise InvalidArgument(
            f"key revocation of {revocation.key_id} is not signed by {party}'s master key "
            "as pinned here"
        )
    return revocation


def _revocation_json(revocation: KeyRevocation) -> dict[str, Any]:
    return {
        "key_id": revocation.key_id,
        "kind": revocation.kind,
        "compromised_since": format_utc(from_epoch(revocation.compromised_since)),
        "revoked_at": format_utc(from_epoch(revocation.revoked_at)),
        "reason": revocation.reason,
    }


def _certificate_json(certificate: KeyCertificate) -> dict[str, Any]:
    return {
        "key_id": certificate.key_id,
        "kind": certificate.kind,
        "serial": certificate.serial,
        "not_before": certificate.not_before,
        "not_after": certificate.not_after,
        # The certificate itself, so an export verifies offline which keys signed.
        "certificate": certificate.encode().hex(),
    }
