"""``hotline audit``: check a bundle with nothing but itself (and pinned cards), then account.

Pure: no store, no clock, no network. :func:`audit_bundle` runs the checks of
docs/protocol/record.md, "Audit", in their order, and stops at the first that
fails, naming it; a bundle that passes them all gets an account of what it
proves: each message with sender, recipient, serial, time group, text, when
the receiver's signed receipt says it arrived, and who acknowledged it when.
A marked message's handling markings (docs/protocol/markings.md) head its
text as a banner, as on every other view of it, and its release, when the
bundle holds the signed release message, follows it.

The keys come from the bundle's own cards unless the auditor pins them
(``pinned_cards``): a bundle whose exporter invented both parties' cards
would otherwise verify, and the report says which it was.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import cbor2

from hotline.crypto import (
    COSIGNATURE_V1_TYPE,
    ED25519_SIGNATURE_TYPE,
    Checkpoint,
    Envelope,
    KeyRevocation,
    PeerCard,
    Receipt,
    SignedNote,
    check_body_commitment,
    key_id,
    leaf_hash,
    verify_cosignature,
    verify_envelope,
    verify_inclusion,
    verify_note,
    verify_receipt,
    verify_signature,
)
from hotline.crypto import key_id as make_key_id
from hotline.errors import CryptoError, DeliveryError, InvalidArgument, WrongSigner
from hotline.store.journal import JOURNAL_DOMAIN
from hotline.terminal.core.markings import Markings
from hotline.terminal.core.statements import ack_statement
from hotline.terminal.record.audit_keys import (
    BundleKeys,
    carries_keys,
    rotation_certificate,
    transition_of,
)
from hotline.terminal.record.bundle import (
    KIND_ACK_GIVEN,
    KIND_ACK_RECEIVED,
    KIND_QUEUED,
    KIND_RECEIPT,
    KIND_RECEIVED,
    LINKED_KINDS,
    Bundle,
)
from hotline.terminal.record.ceremonies import CEREMONY_KIND, USER_ADDED_KIND, check_ceremony
from hotline.terminal.record.check import note_key
from hotline.terminal.record.origin import record_origin
from hotline.utc import format_utc, from_epoch, parse_utc

__all__ = [
    "Acknowledgement",
    "AuditReport",
    "LoggedEntry",
    "MessageAccount",
    "Release",
    "audit_bundle",
]

_LEAF_KEYS = frozenset({"seq", "at", "kind", "data", "prev"})
#: Body keys that are protocol, not what anyone wrote: never shown.
_HIDDEN_BODY_KEYS = frozenset({"salt", "text"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Acknowledgement:
    """A person's signed acknowledgement of a message, as its ack message carries it."""

    by: str
    at: str
    ack_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Release:
    """A marked message's release, as the releaser's signed release message says it."""

    by: str
    at: str
    public_text: str | None
    release_id: str

    def to_json(self) -> dict[str, Any]:
        return {
            "by": self.by,
            "at": self.at,
            "public_text": self.public_text,
            "release_id": self.release_id,
        }


#: How a marking line heads a message's text in the account, as a banner.
MARKING_PREFIX = "      ** "


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageAccount:
    """One message the bundle proves, every field checked against a signature."""

    id: str
    index: int
    sender: str
    recipient: str
    serial: int
    channel: str
    time_group: str
    sent_at: str
    precedence: str
    kind: str
    text: str
    #: The body's other fields (notification data), bytes as hex; never the salt.
    data: dict[str, Any]
    #: False for a version-1 envelope: its sender signed no commitment to the text.
    committed: bool
    received_at: str | None
    acknowledged: Acknowledgement | None
    #: Its handling markings, one line each as a reader sees them (``Markings.lines``).
    markings: tuple[str, ...] = ()
    #: Its release, when the bundle holds the signed release message.
    release: Release | None = None
    #: The key id of the sender's signing key that signed it (``signing-…``).
    signed_by: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "index": self.index,
            "sender": self.sender,
            "recipient": self.recipient,
            "serial": self.serial,
            "channel": self.channel,
            "time_group": self.time_group,
            "sent_at": self.sent_at,
            "precedence": self.precedence,
            "kind": self.kind,
            "text": self.text,
            "data": self.data,
            "text_committed": self.committed,
            "received_at": self.received_at,
            "acknowledged": None
            if self.acknowledged is None
            else {
                "by": self.acknowledged.by,
                "at": self.acknowledged.at,
                "ack_id": self.acknowledged.ack_id,
            },
            "markings": list(self.markings),
            "release": None if self.release is None else self.release.to_json(),
            "signed_by": self.signed_by,
            "verified": True,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class LoggedEntry:
    """A log entry that binds no message (a call, an alarm, a peer event): proved in the log."""

    index: int
    at: str
    kind: str
    peer: str | None
    #: What the entry says, when the audit checked more of it (a key ceremony's signers).
    detail: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditReport:
    """The verdict: ``fault`` is None exactly when everything held."""

    fault: str | None
    exporter: str = ""
    exported_at: str = ""
    origin: str = ""
    checkpoint_size: int = 0
    #: (party, when it cosigned) for each verified cosignature of the checkpoint.
    cosigners: tuple[tuple[str, str], ...] = ()
    pinned: tuple[str, ...] = ()
    from_bundle: tuple[str, ...] = ()
    messages: tuple[MessageAccount, ...] = ()
    entries: tuple[LoggedEntry, ...] = ()
    #: (party, size, when the exporter cosigned it) for each peer log the exporter witnessed.
    witnessed: tuple[tuple[str, int, str], ...] = ()
    #: (kind, peer, detected_at, detail) of each conflict, evidence verified.
    conflicts: tuple[tuple[str, str, str, str], ...] = ()
    notes: tuple[str, ...] = field(default=())
    #: Messages signed by a key its party revoked, at or after the key's compromise
    #: (the revocations the log holds, each verified): flagged, not a fault.
    flagged: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.fault is None

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "fault": self.fault,
            "exporter": self.exporter,
            "exported_at": self.exported_at,
            "checkpoint": {"origin": self.origin, "size": self.checkpoint_size},
            "cosigners": [{"party": p, "at": at} for p, at in self.cosigners],
            "keys": {"pinned": list(self.pinned), "from_bundle": list(self.from_bundle)},
            "messages": [m.to_json() for m in self.messages],
            "entries": [
                {"index": e.index, "at": e.at, "kind": e.kind, "peer": e.peer, "detail": e.detail}
                for e in self.entries
            ],
            "witnessed": [
                {"party": p, "size": s, "cosigned_at": at} for p, s, at in self.witnessed
            ],
            "conflicts": [
                {"kind": k, "peer": p, "detected_at": at, "detail": d}
                for k, p, at, d in self.conflicts
            ],
            "notes": list(self.notes),
            "flagged": list(self.flagged),
        }

    def lines(self) -> list[str]:
        """The readable account (without the final verdict line)."""
        out = [
            f"bundle exported by {self.exporter} at {self.exported_at}",
            f"log {self.origin}, checkpoint of {self.checkpoint_size} entries, signed by "
            f"{self.exporter} and cosigned by "
            + ", ".join(f"{party} at {at}" for party, at in self.cosigners),
        ]
        if self.pinned:
            out.append(f"keys pinned by the auditor: {', '.join(self.pinned)}")
        if self.from_bundle:
            out.append(
                f"keys taken from the bundle itself (not pinned with --card): "
                f"{', '.join(self.from_bundle)}"
            )
        out.append(f"{len(self.messages)} messages:")
        for m in self.messages:
            mark = "verified" if m.committed else "verified (text not committed by the sender)"
            out.append(
                f"  [{mark}] #{m.index + 1} {m.sender} -> {m.recipient} serial {m.serial} "
                f"{m.time_group} {m.precedence.upper()} {m.kind} ({m.channel}) sent {m.sent_at}"
                f" id {m.id}"
            )
            # The markings head the text, as on every view of a marked message.
            out.extend(MARKING_PREFIX + line for line in m.markings)
            if m.text:
                out.extend(f"      | {line}" for line in m.text.splitlines() or [""])
            data = {k: v for k, v in m.data.items() if k != "markings"} if m.markings else m.data
            if data:
                out.append(f"      data {data}")
            if m.release is not None:
                public = "" if m.release.public_text is None else f": {m.release.public_text!r}"
                out.append(
                    f"      released by {m.release.by} at {m.release.at} "
                    f"(their signed release, message {m.release.release_id}){public}"
                )
            if m.signed_by:
                out.append(f"      signed by {m.sender}'s key {m.signed_by}")
            received = m.received_at or "no receipt in the bundle"
            out.append(f"      received {received} (the receiver's signed receipt)")
            if m.acknowledged is not None:
                out.append(
                    f"      acknowledged by {m.acknowledged.by} at {m.acknowledged.at} "
                    "(their signed statement)"
                )
        if self.entries:
            out.append(f"{len(self.entries)} other entries, each proved in the log:")
            out.extend(
                f"  [verified] #{e.index + 1} {e.at} {e.kind}"
                + (f" ({e.peer})" if e.peer else "")
                + (f": {e.detail}" if e.detail else "")
                for e in self.entries
            )
        for party, size, at in self.witnessed:
            out.append(f"{self.exporter} cosigned {party}'s log at size {size} ({at}) [verified]")
        for kind, peer, at, detail in self.conflicts:
            out.append(f"CONFLICT {kind} with {peer} at {at}: {detail} [evidence verified]")
        out.extend(f"note: {note}" for note in self.notes)
        out.extend(f"FLAGGED: {line}" for line in self.flagged)
        return out


class _Fault(Exception):
    pass


@dataclass(slots=True)
class _Entry:
    index: int
    at: str
    kind: str
    data: dict[str, Any]
    leaf_hash: bytes
    entry_hash: bytes


@dataclass(slots=True)
class _Message:
    entry: _Entry
    envelope: Envelope
    body: dict[str, Any]
    sender: str
    recipient: str


def audit_bundle(bundle: Bundle, pinned_cards: Sequence[PeerCard] = ()) -> AuditReport:
    """Verify ``bundle`` (docs/protocol/record.md, "Audit"); the account, or the first fault."""
    audit = _Audit(bundle, pinned_cards)
    try:
        return audit.run()
    except _Fault as exc:
        return AuditReport(fault=str(exc), exporter=bundle.exported_by)


class _Audit:
    def __init__(self, bundle: Bundle, pinned: Sequence[PeerCard]) -> None:
        self.bundle = bundle
        self.pinned = pinned
        self.cards: dict[str, PeerCard] = {}
        self.origins: dict[str, str] = {}
        self.notes: list[str] = []
        self._received_entries: dict[tuple[str, Any], _Entry] = {}
        #: Each party's signing keys: the card's, and those rotation entries certify.
        self.keys = BundleKeys(self.cards)
        #: message id -> the key id of the signing key that signed it, when not the address.
        self.signed_by: dict[str, str] = {}

    def run(self) -> AuditReport:
        b = self.bundle
        self._cards()
        exporter = self._card(b.exported_by, "the exporter")
        checkpoint, cosigners = self._checkpoint(exporter)
        entries = self._entries(checkpoint)
        self._selection(entries)
        messages, received_at = self._objects(entries, exporter)
        acks = self._acks(entries, messages)
        self._ceremonies(entries)
        revocations = self._revocations(entries, exporter)
        witnessed = self._witnessed(exporter)
        conflicts = self._conflicts()
        try:
            self._verify_any(exporter, b.signature, b.signed_bytes())
        except CryptoError:
            raise _Fault(
                f"the exporter's ({b.exported_by}) signature over the bundle does not verify: "
                "the bundle was changed after it was exported"
            ) from None
        releases = _releases(messages)
        accounts = tuple(
            _account(m, received_at.get(i), acks.get(i), releases.get(i), self.signed_by.get(i))
            for i, m in messages.items()
        )
        if any(not m.committed for m in accounts):
            self.notes.append(
                "messages marked 'text not committed by the sender' are version-1 envelopes: "
                "their text is the exporter's word only"
            )
        pinned = tuple(sorted(c.party for c in self.pinned))
        return AuditReport(
            fault=None,
            exporter=b.exported_by,
            exported_at=b.exported_at,
            origin=b.origin,
            checkpoint_size=checkpoint.size,
            cosigners=cosigners,
            pinned=pinned,
            from_bundle=tuple(sorted(set(self.cards) - set(pinned))),
            messages=tuple(sorted(accounts, key=lambda m: m.index)),
            entries=tuple(
                LoggedEntry(index=e.index, at=e.at, kind=e.kind, peer=_peer(e), detail=_detail(e))
                for e in entries
                if e.kind not in (KIND_QUEUED, KIND_RECEIVED)
            ),
            witnessed=witnessed,
            conflicts=conflicts,
            notes=tuple(self.notes),
            flagged=tuple(_flagged(accounts, messages, revocations)),
        )

    # -- cards ------------------------------------------------------------------

    def _cards(self) -> None:
        for n, text in enumerate(self.bundle.cards):
            try:
                card = PeerCard.from_json(text)
            except CryptoError as exc:
                raise _Fault(f"card {n} in the bundle does not verify: {exc}") from None
            if card.party in self.cards:
                raise _Fault(f"the bundle holds two cards for {card.party}")
            self.cards[card.party] = card
            self.origins[record_origin(card.party, card.signing_key)] = card.party
        for pinned in self.pinned:
            held = self.cards.get(pinned.party)
            if held is None:
                raise _Fault(f"the bundle holds no card for {pinned.party}, whose card is pinned")
            if held != pinned:
                raise _Fault(
                    f"the bundle's card for {pinned.party} (fingerprint {held.fingerprint}) "
                    f"is not the pinned card (fingerprint {pinned.fingerprint})"
                )
        self._rotated_keys()

    def _rotated_keys(self) -> None:
        """The signing-key certificates the rotation entries carry, checked under the cards.

        Read before the checkpoint (which the new key may have signed): a
        certificate is trusted for the master's signature, not for being logged.
        """
        decoded = []
        for entry in self.bundle.entries:
            where = f"log entry #{entry.index + 1} (leaf {entry.index})"
            e = _decode_leaf(entry.index, entry.leaf, leaf_hash(entry.leaf), where)
            decoded.append((where, e))
            # Master transitions first: they link a certificate's master to the card's.
            transition = transition_of(e.kind, e.data)
            if transition is None:
                continue
            party = (
                self.bundle.exported_by
                if e.kind == "master key changed"
                else str(e.data.get("peer"))
            )
            problem = self.keys.take_transition(party, transition)
            if problem is not None:
                raise _Fault(f"{where} ({e.kind}): {problem}")
        for where, e in decoded:
            encoded = rotation_certificate(e.kind, e.data)
            if encoded is None:
                continue
            party = self.bundle.exported_by if e.kind == "key rotated" else str(e.data.get("peer"))
            problem = self.keys.take(party, encoded)
            if problem is not None:
                raise _Fault(f"{where} ({e.kind}): {problem}")

    def _verify_any(self, card: PeerCard, signature: bytes, data: bytes) -> None:
        """A signature that names no key (the bundle's): by any signing key of the party."""
        keys = self.keys.keys_of(card)
        for key in keys[:-1]:
            with contextlib.suppress(CryptoError):
                verify_signature(key, signature, data)
                return
        verify_signature(keys[-1], signature, data)

    def _note_key(self, card: PeerCard, name: str, key_id: bytes, kind: int) -> bytes:
        return note_key(self.keys.keys_of(card), name, key_id, kind)

    def _card(self, party: str, what: str) -> PeerCard:
        card = self.cards.get(party)
        if card is None:
            raise _Fault(f"the bundle holds no card for {party} ({what})")
        return card

    # -- the checkpoint ------------------------------------------------------------

    def _checkpoint(self, exporter: PeerCard) -> tuple[Checkpoint, tuple[tuple[str, str], ...]]:
        origin = record_origin(exporter.party, exporter.signing_key)
        if self.bundle.origin != origin:
            raise _Fault(f"the log origin {self.bundle.origin!r} is not the exporter's {origin!r}")
        try:
            note = SignedNote.decode(self.bundle.checkpoint.encode("utf-8"))
            checkpoint = Checkpoint.parse(note.text)
        except (CryptoError, UnicodeEncodeError) as exc:
            raise _Fault(f"the checkpoint is not a signed checkpoint note: {exc}") from None
        if checkpoint.origin != origin:
            raise _Fault(f"the checkpoint's origin {checkpoint.origin!r} is not {origin!r}")
        try:
            verify_note(note, name=origin, public_key=self._note_signer(exporter, note, origin))
        except CryptoError as exc:
            raise _Fault(f"the checkpoint's signature by {exporter.party}: {exc}") from None
        cosigners: list[tuple[str, str]] = []
        for signature in note.signatures:
            party = self.origins.get(signature.name)
            if party is None or party == exporter.party:
                continue  # a key we do not know: ignored, as C2SP asks of verifiers
            card = self.cards[party]
            try:
                key = self._note_key(card, signature.name, signature.key_id, COSIGNATURE_V1_TYPE)
                timestamp = verify_cosignature(
                    note.text, signature, name=signature.name, public_key=key
                )
                self.keys.signing_key(card, key, from_epoch(timestamp))
            except (CryptoError, WrongSigner) as exc:
                raise _Fault(f"the checkpoint's cosignature by {party}: {exc}") from None
            cosigners.append((party, format_utc(from_epoch(timestamp))))
        if not cosigners:
            raise _Fault(
                "the checkpoint carries no cosignature by another party whose card the bundle "
                "holds: nothing but the exporter vouches for it"
            )
        return checkpoint, tuple(cosigners)

    # -- the entries -------------------------------------------------------------

    def _entries(self, checkpoint: Checkpoint) -> list[_Entry]:
        entries: list[_Entry] = []
        previous = -1
        for entry in self.bundle.entries:
            where = f"log entry #{entry.index + 1} (leaf {entry.index})"
            if entry.index <= previous:
                raise _Fault(
                    f"{where} appears twice"
                    if entry.index == previous
                    else f"{where} is out of order (after leaf {previous})"
                )
            previous = entry.index
            if entry.index >= checkpoint.size:
                raise _Fault(f"{where} is beyond the checkpoint's {checkpoint.size} entries")
            hashed = leaf_hash(entry.leaf)
            try:
                verify_inclusion(hashed, entry.index, checkpoint.size, entry.proof, checkpoint.root)
            except CryptoError as exc:
                raise _Fault(f"{where}: {exc}") from None
            entries.append(_decode_leaf(entry.index, entry.leaf, hashed, where))
        return entries

    def _selection(self, entries: list[_Entry]) -> None:
        """Every entry is one the selection names, or completes a message one names."""
        selection = self.bundle.selection
        ids = set(selection.ids)

        def matches(e: _Entry) -> bool:
            if selection.peer is not None and e.data.get("peer") != selection.peer:
                return False
            if selection.since is not None and e.at < selection.since:
                return False
            if selection.until is not None and e.at >= selection.until:
                return False
            return not ids or e.data.get("id") in ids or e.data.get("ack_id") in ids

        chosen = {
            e.index for e in entries if matches(e) or carries_keys(e.kind, e.data, selection.peer)
        }
        linked: dict[str, list[_Entry]] = {}
        for e in entries:
            for message_id in _message_ids(e):
                linked.setdefault(message_id, []).append(e)
        pending = {m for e in entries if e.index in chosen for m in _message_ids(e)}
        seen: set[str] = set()
        while pending:
            message_id = pending.pop()
            seen.add(message_id)
            for e in linked.get(message_id, ()):
                chosen.add(e.index)
                pending |= _message_ids(e) - seen
        for e in entries:
            if e.index not in chosen:
                raise _Fault(
                    f"log entry #{e.index + 1} ({e.kind}) is outside the bundle's selection"
                )

    # -- the objects ---------------------------------------------------------------

    def _objects(
        self, entries: list[_Entry], exporter: PeerCard
    ) -> tuple[dict[str, _Message], dict[str, str]]:
        b = self.bundle
        for key, raw in b.envelopes.items():
            if hashlib.sha256(raw).hexdigest() != key:
                raise _Fault(f"envelope {key}: its bytes do not hash to its name")
        messages: dict[str, _Message] = {}
        received_at: dict[str, str] = {}
        bound_receipts: set[str] = set()
        # (sender, serial) -> its "message received" entry: a batch receipt names the last.
        self._received_entries = {
            (str(e.data.get("peer")), e.data.get("serial")): e
            for e in entries
            if e.kind == KIND_RECEIVED
        }
        for e in entries:
            if e.kind in (KIND_QUEUED, KIND_RECEIVED):
                message = self._message(e, exporter)
                if message.envelope.header.message_id in messages:
                    raise _Fault(f"message {message.envelope.header.message_id} is in two entries")
                messages[message.envelope.header.message_id] = message
                if e.kind == KIND_RECEIVED:
                    received_at[e.data["id"]] = self._own_receipt(e, message, exporter)
                    bound_receipts.add(e.data["id"])
            elif e.kind == KIND_RECEIPT:
                message_id = str(e.data.get("id"))
                received_at[message_id] = self._peer_receipt(e, messages.get(message_id))
                bound_receipts.add(message_id)
        bound_envelopes = {m.envelope.hash.hex() for m in messages.values()}
        for what, held, bound in (
            ("envelope", b.envelopes, bound_envelopes),
            ("body", b.bodies, set(messages)),
            ("receipt", b.receipts, bound_receipts),
        ):
            for key in sorted(set(held) - bound):
                raise _Fault(f"an object no entry binds: the {what} {key}")
        return messages, received_at

    def _message(self, e: _Entry, exporter: PeerCard) -> _Message:
        where = f"log entry #{e.index + 1} ({e.kind})"
        data = e.data
        digest = data.get("envelope_hash")
        raw = self.bundle.envelopes.get(digest) if isinstance(digest, str) else None
        if raw is None:
            raise _Fault(f"{where} binds envelope {digest}, which the bundle does not hold")
        peer = self._card(str(data.get("peer")), f"the peer of {where}")
        sender, recipient = (exporter, peer) if e.kind == KIND_QUEUED else (peer, exporter)
        try:
            envelope = Envelope.decode(raw)
            header = envelope.header
            if header.message_id != data.get("id") or header.serial != data.get("serial"):
                raise _Fault(f"{where}: the envelope's id or serial is not the entry's")
            if header.recipient != recipient.signing_key:
                raise _Fault(
                    f"{where}: the envelope is addressed to a key that is not {recipient.party}'s"
                )
            verify_envelope(
                envelope,
                sender_signing_key=sender.signing_key,
                signing_key=self.keys.signing_key(sender, header.signer, header.sent_at),
            )
            if header.signer is not None:
                self.signed_by[header.message_id] = key_id("signing", header.signer)
        except (CryptoError, DeliveryError) as exc:
            raise _Fault(f"{where}: envelope from {sender.party}: {exc}") from None
        message_id = header.message_id
        body_bytes = self.bundle.bodies.get(message_id)
        if body_bytes is None:
            raise _Fault(f"{where}: the bundle holds no body for message {message_id}")
        body = _decode_body(body_bytes)
        if body is None:
            raise _Fault(f"{where}: the body of {message_id} is not a canonical CBOR map")
        if header.body_commitment is not None:
            try:
                check_body_commitment(envelope, body_bytes)
            except CryptoError:
                raise _Fault(
                    f"{where}: the body of {message_id} is not the one {sender.party} committed "
                    "to in the signed envelope"
                ) from None
        return _Message(
            entry=e, envelope=envelope, body=body, sender=sender.party, recipient=recipient.party
        )

    def _own_receipt(self, e: _Entry, message: _Message, exporter: PeerCard) -> str:
        """The exporter's receipt of an incoming message: names this entry as its journal head.

        A batch receipt (version 2) was signed once for a run of messages, after
        the last of them was journaled: it names that message's entry, which
        this one precedes in the log.
        """
        message_id = message.envelope.header.message_id
        receipt = self._receipt(message_id, message, exporter, e)
        if receipt.version >= 2:
            last = self._received_entries.get((message.sender, receipt.serial))
            if last is not None and (
                receipt.journal_head != last.entry_hash or last.index < e.index
            ):
                raise _Fault(
                    f"the receipt of {message_id} does not name the log entry of serial "
                    f"{receipt.serial}, the last it covers, as its journal head"
                )
        elif receipt.journal_head != e.entry_hash:
            raise _Fault(
                f"the receipt of {message_id} does not name log entry #{e.index + 1} as "
                "the journal head it was signed at"
            )
        return receipt.received_at

    def _peer_receipt(self, e: _Entry, message: _Message | None) -> str:
        where = f"log entry #{e.index + 1} ({e.kind})"
        if message is None or message.entry.kind != KIND_QUEUED:
            raise _Fault(f"{where} is for a message the bundle holds no sent entry of")
        raw = self.bundle.receipts.get(message.envelope.header.message_id)
        if raw is None or hashlib.sha256(raw).hexdigest() != e.data.get("receipt_hash"):
            raise _Fault(f"{where} binds a receipt the bundle does not hold")
        receipt = self._receipt(
            message.envelope.header.message_id, message, self.cards[message.recipient], e
        )
        if receipt.received_at != e.data.get("received_at"):
            raise _Fault(f"{where}: the receipt's time is not the entry's")
        return receipt.received_at

    def _receipt(self, message_id: str, message: _Message, signer: PeerCard, e: _Entry) -> Receipt:
        raw = self.bundle.receipts.get(message_id)
        if raw is None:
            raise _Fault(f"log entry #{e.index + 1}: the bundle holds no receipt of {message_id}")
        try:
            receipt = Receipt.decode(raw)
            verify_receipt(
                receipt,
                envelope=message.envelope,
                recipient_signing_key=signer.signing_key,
                proof=self.bundle.proofs.get(message_id, ()),
                signing_key=self.keys.signing_key(signer, receipt.signer, receipt.received_at),
            )
        except (CryptoError, DeliveryError) as exc:
            raise _Fault(f"the receipt of {message_id} by {signer.party}: {exc}") from None
        return receipt

    # -- acknowledgements -----------------------------------------------------------

    def _ceremonies(self, entries: list[_Entry]) -> None:
        """Each key ceremony is signed by every participant (docs/keys.md, "Key ceremony").

        A person's key is the one a ``user added`` entry in the bundle gives,
        else the one their signature names (the bundle's word, as for cards).
        """
        users: dict[str, bytes] = {}
        for e in entries:
            if e.kind == USER_ADDED_KIND:
                with contextlib.suppress(ValueError, TypeError):
                    users[str(e.data["name"])] = bytes.fromhex(str(e.data["signing_key"]))
        for e in entries:
            if e.kind != CEREMONY_KIND:
                continue
            try:
                named = {
                    str(item["name"]): bytes.fromhex(str(item["key"]))
                    for item in e.data.get("signatures", ())
                }
            except (KeyError, TypeError, ValueError):
                raise _Fault(f"log entry #{e.index + 1} (key ceremony): malformed") from None
            problem = check_ceremony(e.data, {**named, **users})
            if problem is not None:
                raise _Fault(f"log entry #{e.index + 1} (key ceremony): {problem}")

    def _revocations(self, entries: list[_Entry], exporter: PeerCard) -> list[KeyRevocation]:
        """The key revocations the log holds (ours and peers'), each checked against its master."""
        found: list[KeyRevocation] = []
        for e in entries:
            if e.kind not in (KIND_KEY_REVOKED, KIND_PEER_KEY_REVOKED):
                continue
            where = f"log entry #{e.index + 1} ({e.kind})"
            party = exporter.party if e.kind == KIND_KEY_REVOKED else str(e.data.get("peer"))
            encoded = e.data.get("revocation")
            try:
                revocation = KeyRevocation.decode(bytes.fromhex(str(encoded)))
            except (InvalidArgument, ValueError) as exc:
                raise _Fault(f"{where}: the revocation does not hold: {exc}") from None
            card = self.cards.get(party)
            if card is None:
                continue  # a party the bundle has no card of signs nothing in it
            if revocation.party != party or revocation.master_key != card.master:
                raise _Fault(f"{where}: the revocation is not signed by {party}'s master key")
            found.append(revocation)
        return found

    def _acks(
        self, entries: list[_Entry], messages: Mapping[str, _Message]
    ) -> dict[str, Acknowledgement]:
        acks: dict[str, Acknowledgement] = {}
        for e in entries:
            if e.kind not in (KIND_ACK_GIVEN, KIND_ACK_RECEIVED):
                continue
            where = f"log entry #{e.index + 1} ({e.kind})"
            message_id, ack_id = str(e.data.get("id")), str(e.data.get("ack_id"))
            acknowledged, ack = messages.get(message_id), messages.get(ack_id)
            if acknowledged is None:
                raise _Fault(f"{where}: the bundle holds no message {message_id}")
            if ack is None:
                raise _Fault(f"{where}: the bundle holds no ack message {ack_id}")
            # The acknowledger is the acknowledged message's recipient; its party signed the ack.
            if ack.sender != acknowledged.recipient or ack.entry.kind == acknowledged.entry.kind:
                raise _Fault(f"{where}: the ack message does not come back from the recipient")
            statement = ack.body.get("ack")
            try:
                if not isinstance(statement, dict):
                    raise ValueError("no statement")
                by, at = statement["by"], statement["at"]
                key, signature = statement["operator_key"], statement["operator_signature"]
                if statement["message"] != message_id or by != e.data.get("by"):
                    raise ValueError("it names another message or person than the entry")
                if statement["envelope_hash"] != acknowledged.envelope.hash:
                    raise ValueError("it acknowledges other contents (envelope hash)")
                if e.kind == KIND_ACK_RECEIVED and at != e.data.get("at"):
                    raise ValueError("its time is not the entry's")
                named = e.data.get("operator_key")
                if named is not None and bytes.fromhex(str(named)) != key:
                    raise ValueError("it is signed by another key than the entry names")
                verify_signature(
                    key,
                    signature,
                    ack_statement(
                        message_id=message_id,
                        envelope_hash=acknowledged.envelope.hash,
                        by=by,
                        at=at,
                    ),
                )
            except (KeyError, TypeError, ValueError, CryptoError) as exc:
                raise _Fault(f"{where}: the acknowledgement statement: {exc}") from None
            acks[message_id] = Acknowledgement(by=str(by), at=str(at), ack_id=ack_id)
        return acks

    # -- witnessed checkpoints and conflicts ------------------------------------------

    def _note(self, text: str, what: str) -> tuple[SignedNote, Checkpoint, PeerCard]:
        try:
            note = SignedNote.decode(text.encode("utf-8"))
            checkpoint = Checkpoint.parse(note.text)
        except (CryptoError, UnicodeEncodeError) as exc:
            raise _Fault(f"{what} is not a signed checkpoint: {exc}") from None
        party = self.origins.get(checkpoint.origin)
        if party is None:
            raise _Fault(f"{what} is of the log {checkpoint.origin!r}, of no card in the bundle")
        card = self.cards[party]
        try:
            key = self._note_signer(card, note, checkpoint.origin)
            verify_note(note, name=checkpoint.origin, public_key=key)
        except CryptoError as exc:
            raise _Fault(f"{what}, {party}'s signature: {exc}") from None
        return note, checkpoint, card

    def _witnessed(self, exporter: PeerCard) -> tuple[tuple[str, int, str], ...]:
        out = []
        ours = record_origin(exporter.party, exporter.signing_key)
        for n, text in enumerate(self.bundle.witnessed):
            what = f"witnessed checkpoint {n}"
            note, checkpoint, card = self._note(text, what)
            if card.party == exporter.party:
                raise _Fault(f"{what} is of the exporter's own log")
            found = [s for s in note.signatures if s.name == ours]
            if not found:
                raise _Fault(f"{what} ({card.party}) carries no cosignature by the exporter")
            try:
                key = self._note_key(exporter, ours, found[-1].key_id, COSIGNATURE_V1_TYPE)
                timestamp = verify_cosignature(note.text, found[-1], name=ours, public_key=key)
                self.keys.signing_key(exporter, key, from_epoch(timestamp))
            except (CryptoError, WrongSigner) as exc:
                raise _Fault(f"{what} ({card.party}), the exporter's cosignature: {exc}") from None
            out.append((card.party, checkpoint.size, format_utc(from_epoch(timestamp))))
        return tuple(out)

    def _note_signer(self, card: PeerCard, note: SignedNote, name: str) -> bytes:
        """The signing key of ``card``'s party that signed a checkpoint note as ``name``."""
        for signature in note.signatures:
            if signature.name == name:
                return self._note_key(card, name, signature.key_id, ED25519_SIGNATURE_TYPE)
        return card.signing_key

    def _conflicts(self) -> tuple[tuple[str, str, str, str], ...]:
        out = []
        for n, conflict in enumerate(self.bundle.conflicts):
            for label, text in (("known", conflict.known), ("offered", conflict.offered)):
                if text:
                    self._note(text, f"conflict {n}'s {label} checkpoint")
            out.append((conflict.kind, conflict.peer, conflict.detected_at, conflict.detail))
        return tuple(out)


def _decode_leaf(index: int, leaf: bytes, hashed: bytes, where: str) -> _Entry:
    if not leaf.startswith(JOURNAL_DOMAIN):
        raise _Fault(f"{where}: the leaf is not a journal entry (domain)")
    encoded = leaf[len(JOURNAL_DOMAIN) :]
    try:
        fields = cbor2.loads(encoded)
        canonical = cbor2.dumps(fields, canonical=True) == encoded
    except Exception:
        raise _Fault(f"{where}: the leaf is not CBOR") from None
    if not canonical or not isinstance(fields, dict) or set(fields) != _LEAF_KEYS:
        raise _Fault(f"{where}: the leaf is not a canonical journal entry map")
    seq, at, kind, data, prev = (fields[k] for k in ("seq", "at", "kind", "data", "prev"))
    if type(seq) is not int or seq != index + 1:
        raise _Fault(f"{where}: the leaf's seq {seq!r} is not {index + 1}")
    if not isinstance(kind, str) or not isinstance(data, dict):
        raise _Fault(f"{where}: the leaf's kind or data is malformed")
    if not isinstance(prev, bytes) or len(prev) != 32:
        raise _Fault(f"{where}: the leaf's prev hash is malformed")
    try:
        parse_utc(at)
    except ValueError:
        raise _Fault(f"{where}: the leaf's time {at!r} is malformed") from None
    return _Entry(
        index=index,
        at=at,
        kind=kind,
        data=data,
        leaf_hash=hashed,
        entry_hash=hashlib.sha256(leaf).digest(),
    )


def _decode_body(raw: bytes) -> dict[str, Any] | None:
    try:
        body = cbor2.loads(raw)
        if cbor2.dumps(body, canonical=True) != raw:
            return None
    except Exception:
        return None
    return body if isinstance(body, dict) else None


def _message_ids(e: _Entry) -> set[str]:
    if e.kind not in LINKED_KINDS:
        return set()
    return {v for v in (e.data.get("id"), e.data.get("ack_id")) if isinstance(v, str)}


def _detail(e: _Entry) -> str:
    if e.kind != CEREMONY_KIND:
        return ""
    d = e.data
    return (
        f"{d.get('purpose')}; present {', '.join(d.get('present', ()))}; "
        f"witnesses {', '.join(d.get('witnesses', ())) or '-'}; "
        f"{len(d.get('keys', ()))} keys; signed by every participant [signatures verified]"
    )


def _peer(e: _Entry) -> str | None:
    peer = e.data.get("peer")
    return peer if isinstance(peer, str) else None


def _shown(value: Any) -> Any:
    """A body value for a reader and for JSON: bytes as hex, the rest as is."""
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): _shown(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_shown(v) for v in value]
    return value


def _marking_lines(body: Mapping[str, Any]) -> tuple[str, ...]:
    """The markings of a signed body as banner lines; a malformed map says so."""
    try:
        markings = Markings.from_body(body)
    except InvalidArgument as exc:
        return (f"MARKINGS MALFORMED: {exc}",)
    return () if markings is None else tuple(markings.lines())


def _releases(messages: Mapping[str, _Message]) -> dict[str, Release]:
    """Each released message's release, from the signed release messages the bundle holds.

    A release counts only where it names a message of the bundle by the hash of
    the very envelope the bundle holds, and comes from a party of that message's
    line (its sender or recipient, as ``[markings] release_by`` allows).
    """
    found: dict[str, Release] = {}
    for message in messages.values():
        body = message.body
        if message.envelope.header.kind != "release" or body.get("op") != "release":
            continue
        target = messages.get(str(body.get("message")))
        released_at = body.get("released_at")
        public = body.get("public_text")
        if (
            target is None
            or target.envelope.hash.hex() != body.get("envelope_hash")
            or message.sender not in (target.sender, target.recipient)
            or not isinstance(released_at, str)
        ):
            continue
        found[target.envelope.header.message_id] = Release(
            by=message.sender,
            at=released_at,
            public_text=public if isinstance(public, str) else None,
            release_id=message.envelope.header.message_id,
        )
    return found


KIND_KEY_REVOKED = "key revoked"
KIND_PEER_KEY_REVOKED = "peer key revoked"


def _flagged(
    accounts: Sequence[MessageAccount],
    messages: Mapping[str, _Message],
    revocations: Sequence[KeyRevocation],
) -> list[str]:
    """One line per message its sender signed with a revoked key, at or after its compromise."""
    out: list[str] = []
    by_id = {m.id: m for m in accounts}
    for message_id, message in messages.items():
        header = message.envelope.header
        signed = int(parse_utc(header.sent_at).timestamp())
        # The key that signed: a rotated one the envelope names ("sk"), else the address.
        signer = header.signer or header.sender
        for revocation in revocations:
            if (
                revocation.party == message.sender
                and revocation.kind == "signing"
                and revocation.public_key == signer
                and signed >= revocation.compromised_since
            ):
                account = by_id[message_id]
                out.append(
                    f"#{account.index + 1} {account.sender} -> {account.recipient} serial {account.serial} "
                    f"id {account.id}: signed {header.sent_at} by "
                    f"{make_key_id('signing', signer)}, revoked by {revocation.party} "
                    f"(compromised since {format_utc(from_epoch(revocation.compromised_since))}: "
                    f"{revocation.reason})"
                )
    return out


def _account(
    message: _Message,
    received_at: str | None,
    ack: Acknowledgement | None,
    release: Release | None = None,
    signed_by: str | None = None,
) -> MessageAccount:
    header = message.envelope.header
    text = message.body.get("text")
    return MessageAccount(
        id=header.message_id,
        index=message.entry.index,
        sender=message.sender,
        recipient=message.recipient,
        serial=header.serial,
        channel=header.channel,
        time_group=header.time_group,
        sent_at=header.sent_at,
        precedence=str(header.precedence),
        kind=header.kind,
        text=text if isinstance(text, str) else "",
        data={str(k): _shown(v) for k, v in message.body.items() if k not in _HIDDEN_BODY_KEYS},
        committed=header.body_commitment is not None,
        received_at=received_at,
        acknowledged=ack,
        markings=_marking_lines(message.body),
        release=release,
        signed_by=signed_by or "",
    )
