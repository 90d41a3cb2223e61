"""``hotline verify``: re-check everything a terminal has stored, from the bytes up.

It trusts nothing in the database but the bytes of envelopes and receipts and
the keys of its own identity and its peers' cards. For every peer and each
direction it checks, in serial order: the envelope decodes and its stored hash
is the hash of its bytes; the signature verifies under the sender's key; the
serials run 1, 2, 3 … with no gap; each ``prev_hash`` is the previous
envelope's hash; the stored fields match the signed header; a version-2
envelope's stored plaintext body (sent or received) is the one its sender
committed to in the header, and its stored text is that body's; every receipt
verifies under the recipient's key and matches its envelope; a message is
``delivered`` exactly when it holds a receipt; every acknowledgement carries
its person's valid signature. Then every shift note's author signature, the
journal's hash chain, and the record (:mod:`hotline.terminal.record.check`):
the journal against every checkpoint of it that we signed or a peer cosigned,
so a record cut short or rewritten is named with the peer whose signature
shows it. The first fault is named; the summary counts what held.

Before all that, every message row whose stored text is not UTF-8 is named
(id, peer, serial, column; never content): the store reads past such a row
(:mod:`hotline.store._damage`), so the checks after it see the text recovered
from the body, or a gap where a quarantined row was.

A message a peer signed, or a receipt it gave, with a key it revoked (docs/keys.md,
"Revocation") at or after that key's compromise is **flagged**: named in the
summary (``FLAGGED``), not a fault, since its signature holds and what was kept
before the revocation arrived stays; a reader must weigh it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hotline.crypto import (
    ZERO_HASH,
    Envelope,
    Identity,
    KeyCertificate,
    Receipt,
    check_body_commitment,
    open_envelope,
    verify_envelope,
    verify_receipt,
)
from hotline.errors import CryptoError, DeliveryError, StoreError
from hotline.store import Direction, MessageRecord, MessageState, PeerRecord, Store
from hotline.terminal.core.outbox import decode_body
from hotline.terminal.core.outbox import encode_body as canonical_body
from hotline.terminal.core.proofs import receipt_proof
from hotline.terminal.core.revocations import signed_after_compromise
from hotline.terminal.core.signers import Signers, certified_signer, own_masters
from hotline.terminal.core.statements import ack_statement, verify_note
from hotline.terminal.record.ceremonies import CEREMONY_KIND, check_ceremony
from hotline.terminal.record.check import check_record
from hotline.utc import format_utc, from_epoch

__all__ = ["VerifyReport", "verify_store"]

#: Messages whose acknowledgements are looked up per query.
_ACK_PAGE = 500
#: Shift notes checked (newest first); far more than years of watches write.
_MAX_NOTES = 1_000_000


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifyReport:
    """What ``verify`` found."""

    sent: int
    received: int
    signatures: int
    receipts: int
    chains: int
    #: Version-2 messages whose stored body matched the sender's commitment.
    commitments: int
    journal_entries: int
    #: Our checkpoints, and peers' cosignatures of them, that verified.
    checkpoints: int = 0
    cosignatures: int = 0
    fault: str | None
    #: Our own sent messages this store does not hold because it was restored
    #: from an older backup and adopted the peer's position (delivery.md §5.1):
    #: one line per gap. Not a fault: the peer holds them and their record.
    not_held: tuple[str, ...] = ()
    #: Records a peer signed with a key it revoked, at or after the key's compromise
    #: (docs/keys.md, "Revocation"): one line each. Not a fault: they are flagged.
    revoked: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.fault is None

    def summary(self) -> str:
        counts = (
            f"{self.sent} sent, {self.received} received, {self.signatures} signatures, "
            f"{self.receipts} receipts, {self.chains} chains, "
            f"{self.commitments} body commitments, {self.journal_entries} journal entries, "
            f"{self.checkpoints} checkpoints, {self.cosignatures} cosignatures"
        )
        flagged = (
            f"; FLAGGED, signed by a revoked key at or after its compromise: "
            f"{'; '.join(self.revoked)}"
            if self.revoked
            else ""
        )
        if self.fault is None:
            if self.not_held:
                return (
                    f"verified: {counts}; all hold; not held here: {'; '.join(self.not_held)}"
                    f"{flagged}"
                )
            return f"verified: {counts}; all hold{flagged}"
        return f"FAULT: {self.fault} (checked before it: {counts})"


class _Fault(Exception):
    pass


class _Gap(_Fault):
    """A batch receipt covers envelopes the store no longer holds: messages were lost.

    The record's check usually says more (a cosigned checkpoint larger than the
    store: the tail was cut), so its fault is reported first.
    """


class _Counter:
    def __init__(self) -> None:
        self.sent = self.received = self.signatures = self.receipts = self.chains = 0
        self.commitments = 0
        self.not_held: list[str] = []
        self.revoked: list[str] = []


#: Which key verifies a signature: from its ``"sk"`` (None: the address) and its time.
_Resolve = Callable[[bytes | None, str], bytes]


def own_signing_key(
    identity: Identity, certificates: Sequence[KeyCertificate]
) -> Callable[[bytes | None, str], bytes]:
    """Our resolver: the address, or a signing key our master certified (``certificates``)."""
    master, earlier = own_masters(certificates, fallback=identity.signing_public)

    def resolve(signer: bytes | None, at: str) -> bytes:
        return certified_signer(
            certificates,
            party=identity.party,
            address=identity.signing_public,
            master=master,
            signer=signer,
            at=at,
            earlier=earlier,
        )

    return resolve


def verify_store(
    store: Store, identity: Identity, *, certificates: Sequence[KeyCertificate] = ()
) -> VerifyReport:
    """Check every stored signature, chain, receipt and the journal chain.

    ``certificates`` are our master's key certificates (``keys/certificates.cbor``):
    what we signed after a rotation of the signing key verifies under the key
    certified at the time (docs/keys.md, "Rotation"). After a master change,
    every master's, oldest first (``certificate_history``).
    """
    counter = _Counter()
    ours = own_signing_key(identity, certificates)
    signers = Signers(store)
    fault: str | None = None
    gap: str | None = None
    damaged = store.damaged_messages()
    try:
        party = store.get_party()
        if party is None or party.signing_key != identity.signing_public:
            raise _Fault("the store's party record does not match this terminal's keys")
        for peer in store.list_peers():

            def theirs(signer: bytes | None, at: str, peer: PeerRecord = peer) -> bytes:
                return signers.signing_key_for(peer, signer, at)

            _check_direction(store, identity, peer, Direction.OUT, counter, (ours, theirs))
            _check_direction(store, identity, peer, Direction.IN, counter, (theirs, ours))
        _check_shift_notes(store, counter)
        _check_ceremonies(store, counter)
    except _Gap as exc:
        gap = str(exc)
    except _Fault as exc:
        fault = str(exc)
    except StoreError as exc:
        # The store refuses to load a row that breaks its own rules: that is a fault too.
        fault = f"a stored row is damaged: {exc}"
    journal_entries = sum(1 for _ in store.iter_journal())
    if fault is None:
        problem = store.verify_journal()
        if problem is not None:
            fault = f"journal: {problem}"
    record = check_record(store, identity, certificates=certificates)
    if gap is not None and fault is None:
        fault = gap if record.fault is None else f"{record.fault}; and {gap}"
    if fault is None:
        fault = record.fault
    if damaged:
        named = "; ".join(damage.describe() for damage in damaged)
        fault = f"damaged rows: {named}" + (f"; and {fault}" if fault else "")
    return VerifyReport(
        sent=counter.sent,
        received=counter.received,
        signatures=counter.signatures,
        receipts=counter.receipts,
        chains=counter.chains,
        commitments=counter.commitments,
        journal_entries=journal_entries,
        checkpoints=record.checkpoints,
        cosignatures=record.cosignatures,
        fault=fault,
        not_held=tuple(counter.not_held),
        revoked=tuple(counter.revoked),
    )


def _check_direction(
    store: Store,
    identity: Identity,
    peer: PeerRecord,
    direction: Direction,
    counter: _Counter,
    resolvers: tuple[_Resolve, _Resolve],
) -> None:
    """One direction's chain; ``resolvers``: the sender's key resolver, the recipient's."""
    outgoing = direction is Direction.OUT
    sender_key = identity.signing_public if outgoing else peer.signing_key
    recipient_key = peer.signing_key if outgoing else identity.signing_public
    label = f"{'to' if outgoing else 'from'} {peer.party}"
    expected_serial = 1
    prev_hash = ZERO_HASH
    any_message = False
    page: list[MessageRecord] = []
    # Where a restored store took up its chain after the peer's position: the
    # chain goes on from the adopted hash, and the serials between are the peer's.
    adopted = {
        (a.held_before, a.serial): a.envelope_hash
        for a in (store.chain_adoptions(peer.party) if outgoing else ())
    }
    revocations = store.peer_key_revocations(peer.party)
    for message in store.iter_messages(peer=peer.party, direction=direction):
        any_message = True
        page.append(message)
        if len(page) >= _ACK_PAGE:
            _check_acknowledgements(store, page, counter)
            page = []
        where = f"message {message.id} ({label}, serial {message.serial})"
        envelope = _check_envelope(message, where, sender_key, recipient_key, resolvers[0])
        counter.signatures += 1
        jump = (expected_serial - 1, message.serial - 1)
        if message.serial > expected_serial and jump in adopted:
            counter.not_held.append(
                f"{jump[1] - jump[0]} message(s) to {peer.party}, serials {expected_serial} "
                f"to {jump[1]}: delivered, held by {peer.party} (restored from an older backup)"
            )
            expected_serial, prev_hash = message.serial, adopted[jump]
        if message.serial != expected_serial or envelope.header.serial != expected_serial:
            raise _Fault(
                f"{where}: expected serial {expected_serial}: the chain has a gap or a repeat"
            )
        if envelope.header.prev_hash != prev_hash:
            raise _Fault(f"{where}: prev_hash does not match the envelope before it")
        if envelope.header.body_commitment is not None:
            _check_commitment(message, envelope, where)
            counter.commitments += 1
        if not outgoing and envelope.header.version < 3:
            # A version-3 body was sealed under a message key that is gone by
            # design; its commitment, checked above, binds the stored body instead.
            _check_plaintext(message, envelope, where, identity)
        _check_receipt(store, message, envelope, where, (recipient_key, resolvers[1]), outgoing)
        if revocations:
            # The peer signed the envelope (incoming) or the receipt (outgoing), with its
            # address key or the rotated key the signature names ("sk").
            at = envelope.header.sent_at if not outgoing else message.delivered_at
            what = "envelope" if not outgoing else "receipt"
            signed = None if outgoing and message.receipt is None else at
            revoked = (
                None
                if signed is None
                else signed_after_compromise(
                    revocations, _peer_signer(peer, message, envelope, outgoing), signed
                )
            )
            if revoked is not None:
                counter.revoked.append(
                    f"{where}: {what} signed {signed} by {peer.party}'s key {revoked.key_id}, "
                    f"compromised since {format_utc(from_epoch(revoked.compromised_since))}"
                )
        if message.receipt is not None:
            counter.receipts += 1
        if outgoing:
            counter.sent += 1
        else:
            counter.received += 1
        prev_hash = envelope.hash
        expected_serial += 1
    _check_acknowledgements(store, page, counter)
    if any_message:
        counter.chains += 1


def _peer_signer(
    peer: PeerRecord, message: MessageRecord, envelope: Envelope, outgoing: bool
) -> bytes:
    """The key that made the peer's signature on this message: its envelope's, or its receipt's."""
    if not outgoing:
        return envelope.header.signer or peer.signing_key
    assert message.receipt is not None  # only asked for a message with a receipt
    return Receipt.decode(message.receipt).signer or peer.signing_key


def _check_acknowledgements(store: Store, messages: list[MessageRecord], counter: _Counter) -> None:
    """Each acknowledgement held for these messages carries its person's valid signature."""
    by_id = {m.id: m for m in messages}
    for message_id, ack in store.acknowledgements(list(by_id)).items():
        statement = ack_statement(
            message_id=message_id,
            envelope_hash=by_id[message_id].envelope_hash,
            by=ack.by,
            at=ack.at,
        )
        try:
            Ed25519PublicKey.from_public_bytes(ack.operator_key).verify(
                ack.operator_signature, statement
            )
        except (InvalidSignature, ValueError):
            raise _Fault(
                f"acknowledgement of message {message_id} by {ack.by}: the signature does not verify"
            ) from None
        counter.signatures += 1


def _check_shift_notes(store: Store, counter: _Counter) -> None:
    for note in store.shift_notes(limit=_MAX_NOTES):
        if not verify_note(note):
            raise _Fault(f"shift note {note.id} by {note.author}: the signature does not verify")
        counter.signatures += 1


def _check_ceremonies(store: Store, counter: _Counter) -> None:
    """Each key ceremony in the journal is signed by all its participants' person keys."""
    user_keys: dict[str, bytes] | None = None
    for entry in store.iter_journal():
        if entry.kind != CEREMONY_KIND:
            continue
        if user_keys is None:  # most journals hold no ceremony: read the users only if one does
            user_keys = {user.name: user.signing_key for user in store.list_users()}
        problem = check_ceremony(entry.data, user_keys)
        if problem is not None:
            raise _Fault(f"key ceremony (journal entry {entry.seq}): {problem}")
        counter.signatures += len(entry.data["signatures"])


def _check_envelope(
    message: MessageRecord, where: str, sender_key: bytes, recipient_key: bytes, resolve: _Resolve
) -> Envelope:
    try:
        envelope = Envelope.decode(message.envelope)
        header = envelope.header
        verify_envelope(
            envelope,
            sender_signing_key=sender_key,
            signing_key=resolve(header.signer, header.sent_at),
        )
    except (CryptoError, DeliveryError) as exc:
        raise _Fault(f"{where}: envelope does not verify: {type(exc).__name__}: {exc}") from exc
    header = envelope.header
    if envelope.hash != message.envelope_hash:
        raise _Fault(f"{where}: stored hash is not the hash of the stored envelope")
    if header.recipient != recipient_key:
        raise _Fault(f"{where}: envelope is addressed to another party")
    mismatched = [
        name
        for name, stored, signed in (
            ("id", message.id, header.message_id),
            ("channel", message.channel, header.channel),
            ("time_group", message.time_group, header.time_group),
            ("sent_at", message.sent_at, header.sent_at),
            ("precedence", message.precedence, str(header.precedence)),
            ("kind", message.kind, header.kind),
        )
        if stored != signed
    ]
    if mismatched:
        raise _Fault(f"{where}: stored {', '.join(mismatched)} differ from the signed envelope")
    return envelope


def _check_commitment(message: MessageRecord, envelope: Envelope, where: str) -> None:
    """A version-2 message's stored body is what its sender committed to, and its text is that body's.

    This holds for a sent message too: we cannot open what we sealed to the
    peer, but the commitment we signed is over the plaintext we stored.
    """
    try:
        check_body_commitment(envelope, message.body)
    except CryptoError:
        raise _Fault(
            f"{where}: stored body is not the one the sender committed to in the signed envelope"
        ) from None
    # The body matched a commitment over canonical CBOR, so it decodes.
    text = decode_body(message.body).get("text", "")
    if message.text != (text if isinstance(text, str) else ""):
        raise _Fault(f"{where}: stored text differs from the committed body")


def _check_plaintext(
    message: MessageRecord, envelope: Envelope, where: str, identity: Identity
) -> None:
    """A received message's stored body and text are what its envelope opens to.

    (A sent message's body is sealed to the peer: we cannot open it, and the
    signature over the sealed body is what binds it.)
    """
    try:
        body = open_envelope(envelope, recipient=identity)
    except CryptoError as exc:
        raise _Fault(f"{where}: envelope does not open: {type(exc).__name__}: {exc}") from exc
    text = body.get("text", "")
    if message.body != canonical_body(body) or message.text != (
        text if isinstance(text, str) else ""
    ):
        raise _Fault(f"{where}: stored text differs from the signed, sealed envelope")


def _check_receipt(
    store: Store,
    message: MessageRecord,
    envelope: Envelope,
    where: str,
    recipient: tuple[bytes, _Resolve],
    outgoing: bool,
) -> None:
    if message.receipt is None:
        if not outgoing:
            raise _Fault(f"{where}: received message has no receipt")
        if message.state is MessageState.DELIVERED:
            raise _Fault(f"{where}: marked delivered but holds no receipt")
        return
    try:
        proof = receipt_proof(store, message)
    except DeliveryError as exc:
        raise _Gap(f"{where}: receipt does not verify: {exc}") from exc
    try:
        receipt = Receipt.decode(message.receipt)
        verify_receipt(
            receipt,
            envelope=envelope,
            recipient_signing_key=recipient[0],
            proof=proof,
            signing_key=recipient[1](receipt.signer, receipt.received_at),
        )
    except (CryptoError, DeliveryError) as exc:
        raise _Fault(f"{where}: receipt does not verify: {type(exc).__name__}: {exc}") from exc
    if message.state is not MessageState.DELIVERED:
        raise _Fault(f"{where}: holds a receipt but is not marked delivered")
    if message.delivered_at != receipt.received_at:
        raise _Fault(f"{where}: delivered_at differs from the receipt's received_at")
