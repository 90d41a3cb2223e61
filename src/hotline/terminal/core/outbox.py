"""Outgoing messages: seal, serialise and store them; accept the peer's receipts.

A message is stored, sealed and journaled in one transaction, so when
:meth:`Outbox.queue` returns the message is durable with its serial and its
place in the per-direction hash chain fixed. Sending happens later and
possibly more than once (``hotline.terminal.core.session``); only a verified signed
receipt moves a message to ``delivered``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import cbor2

from hotline.crypto import (
    ChainKey,
    EnvelopeHeader,
    Identity,
    Precedence,
    Receipt,
    body_commitment,
    new_message_id,
    salted,
    seal_envelope,
    seal_envelope_ratcheted,
    verify_batch_receipt,
    verify_receipt_fields,
)
from hotline.errors import CryptoError, DeliveryError, InvalidArgument, KeyRevoked, MessageTooLarge
from hotline.freetext import check_free_text
from hotline.store import (
    ChainRecord,
    Direction,
    GroupLink,
    MessageRecord,
    MessageState,
    PeerRecord,
    Store,
)
from hotline.terminal.core.ackdeadline import ack_within_for
from hotline.terminal.core.groups import MAX_RECIPIENTS, GroupQueued, PartyBlock
from hotline.terminal.core.revocations import RevokedKeys
from hotline.terminal.core.signers import Signers
from hotline.terminal.runtime.clock import Clock
from hotline.utc import format_utc, time_group

__all__ = [
    "DEFAULT_CHANNEL",
    "MAX_TEXT_BYTES",
    "Draft",
    "Outbox",
    "ReceiptOutcome",
    "check_channel",
    "decode_body",
    "is_exercise",
]

DEFAULT_CHANNEL = "leaders"
#: A sent mark not yet written: (the message's serial, when it was first sent).
SentMark = tuple[int, str]
#: A journal entry to append: (kind, at, data).
JournalItem = tuple[str, str, Mapping[str, Any]]
#: The largest message text, in UTF-8 bytes. The sealed body has a little overhead on top.
MAX_TEXT_BYTES = 60_000
_CHANNEL = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


def check_channel(channel: str) -> str:
    """Return ``channel`` if it is a valid channel name."""
    if not _CHANNEL.match(channel):
        raise InvalidArgument(
            f"channel {channel!r} is not valid: 1 to 32 characters, lower-case letters, digits, - and _"
        )
    return channel


@dataclass(frozen=True, slots=True, kw_only=True)
class Draft:
    """One message to queue: to whom, what, and how (see :meth:`Outbox.queue`)."""

    peer: PeerRecord
    text: str
    channel: str = DEFAULT_CHANNEL
    precedence: Precedence = Precedence.ROUTINE
    kind: str = "text"
    extra_body: Mapping[str, Any] | None = None
    #: A body salted already, shared by every copy of a group message (then
    #: ``text`` and ``extra_body`` are only what it holds, and are not used).
    salted_body: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceiptOutcome:
    """What a batch of incoming receipts did."""

    delivered: tuple[str, ...]
    refusals: tuple[str, ...]
    #: One line per receipt refused because a revoked key signed it (for an alarm).
    revoked: tuple[str, ...] = ()


@dataclass(slots=True)
class _Direction:
    """One peer's outgoing chain while a batch is sealed: serial, hash and message-key chain."""

    serial: int
    prev_hash: bytes
    chain: ChainKey | None
    ratcheted: bool
    chain_moved: bool = False


class Outbox:
    """Creates outgoing envelopes and records their receipts."""

    def __init__(
        self,
        *,
        store: Store,
        identity: Identity,
        clock: Clock,
        ack_seconds: Mapping[str, float] | None = None,
        revoked_keys: RevokedKeys | None = None,
        signers: Signers | None = None,
    ) -> None:
        """``ack_seconds``: the acknowledgement deadline by precedence, carried in each
        body a person must acknowledge (core/ackdeadline.py); None carries none."""
        self._store = store
        self._identity = identity
        self._clock = clock
        self._ack_seconds = ack_seconds
        #: Which key verifies a peer's receipts (its address, or a rotated key it
        #: certified), refusing a key the peer revoked (``revoked_keys``).
        self.signers = signers or Signers(store, revoked=revoked_keys)
        #: The session protocol each peer last spoke, read from the store once.
        self._protocols: dict[str, int] = {}

    def protocol(self, party: str) -> int:
        """The session protocol version ``party`` last spoke with us (1 until it speaks)."""
        version = self._protocols.get(party)
        if version is None:
            version = self._protocols[party] = self._store.peer_protocol(party)
        return version

    def peer_speaks(self, peer: PeerRecord, version: int) -> None:
        """A session with ``peer`` negotiated ``version``: seal what it can open from now on.

        From version 2 on, bodies are sealed under ratcheted message keys
        (envelope version 3); with a version-1 peer, each body is sealed to its
        key with HPKE (envelope version 2), which every hotline opens.
        """
        if self.protocol(peer.party) != version:
            self._store.set_peer_protocol(peer.party, version)
            self._protocols[peer.party] = version

    def queue(
        self,
        *,
        peer: PeerRecord,
        text: str,
        channel: str = DEFAULT_CHANNEL,
        precedence: Precedence = Precedence.ROUTINE,
        kind: str = "text",
        extra_body: Mapping[str, Any] | None = None,
    ) -> MessageRecord:
        """Seal and durably store one message; return its record (state ``queued``)."""
        draft = Draft(
            peer=peer,
            text=text,
            channel=channel,
            precedence=precedence,
            kind=kind,
            extra_body=extra_body,
        )
        return self.queue_many([draft])[0]

    def queue_many(self, drafts: Sequence[Draft]) -> list[MessageRecord]:
        """Seal and durably store several messages in one transaction: all of them, or none.

        Every draft is checked before anything is written. Each peer's serial and
        ``prev_hash`` are read once and then chained in memory, so a burst costs
        no read and no savepoint per message.
        """
        for draft in drafts:
            check_channel(draft.channel)
            check_free_text(draft.text)
            size = len(draft.text.encode("utf-8"))
            if size > MAX_TEXT_BYTES:
                raise MessageTooLarge(
                    f"the text is {size} bytes; the limit is {MAX_TEXT_BYTES} bytes"
                )
        now = self._clock.now()
        stamp, group = format_utc(now), time_group(now)
        directions: dict[str, _Direction] = {}
        records: list[MessageRecord] = []
        entries: list[JournalItem] = []
        with self._store.transaction():
            for draft in drafts:
                party = draft.peer.party
                direction = directions.get(party)
                if direction is None:
                    direction = directions[party] = self._direction(party)
                record, entry = self._seal(draft, direction, stamp, group)
                direction.serial += 1
                direction.prev_hash = record.envelope_hash
                records.append(record)
                entries.append(("message queued", stamp, entry))
            # One call each for the whole batch: the rows and their journal entries
            # (the same entries, in the same order, as one call per message).
            self._store.add_outgoing_many(records)
            self._store.append_journal_many(entries)
            for party, direction in directions.items():
                if direction.chain_moved and direction.chain is not None:
                    chain = direction.chain
                    # The used message keys are gone with the old chain key.
                    self._store.set_chain(
                        party,
                        Direction.OUT,
                        ChainRecord(epoch=chain.epoch, index=chain.index, key=chain.key),
                    )
        return records

    def queue_group(
        self,
        *,
        peers: Sequence[PeerRecord],
        text: str,
        channel: str = DEFAULT_CHANNEL,
        precedence: Precedence = Precedence.ROUTINE,
        kind: str = "text",
        extra_body: Mapping[str, Any] | None = None,
        conference: str | None = None,
    ) -> GroupQueued:
        """Seal one payload to several peers, each over its own line; all copies or none.

        The body is built and salted once and names every recipient (its
        ``"party"`` map), so every copy's header commits to the same bytes.
        InvalidArgument if ``peers`` is empty or names a party twice.
        """
        names = [peer.party for peer in peers]
        if not names:
            raise InvalidArgument("a message needs at least one recipient")
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise InvalidArgument(f"{', '.join(twice)} named more than once as a recipient")
        if len(names) > MAX_RECIPIENTS:
            raise InvalidArgument(f"{len(names)} recipients; one message may name {MAX_RECIPIENTS}")
        if extra_body is not None and "party" in extra_body:
            raise ValueError("'party' is reserved for the group map")
        block = PartyBlock(
            group_id=new_message_id(),
            to=tuple(sorted(((p.party, p.signing_key) for p in peers), key=lambda e: e[1])),
            conference=conference,
        )
        body = salted(
            {
                "text": text,
                **ack_within_for(kind, precedence, self._ack_seconds),
                **(extra_body or {}),
                "party": block.to_body(),
            }
        )
        drafts = [
            Draft(
                peer=peer,
                text=text,
                channel=channel,
                precedence=precedence,
                kind=kind,
                salted_body=body,
            )
            for peer in peers
        ]
        with self._store.transaction():
            records = self.queue_many(drafts)
            payload_hash = body_commitment(records[0].body)
            self._store.add_group_links(
                [
                    GroupLink(
                        message_id=record.id,
                        group_id=block.group_id,
                        payload_hash=payload_hash,
                        conference=conference,
                    )
                    for record in records
                ]
            )
        return GroupQueued(
            group_id=block.group_id,
            payload_hash=payload_hash,
            conference=conference,
            records=tuple(records),
        )

    def _direction(self, party: str) -> _Direction:
        serial, prev_hash = self._store.next_outgoing_serial(party)
        if self.protocol(party) < 2:
            return _Direction(serial=serial, prev_hash=prev_hash, chain=None, ratcheted=False)
        stored = self._store.chain(party, Direction.OUT)
        chain = (
            None
            if stored is None
            else ChainKey(epoch=stored.epoch, index=stored.index, key=stored.key)
        )
        return _Direction(serial=serial, prev_hash=prev_hash, chain=chain, ratcheted=True)

    def _seal(
        self, draft: Draft, direction: _Direction, stamp: str, group: str
    ) -> tuple[MessageRecord, dict[str, Any]]:
        """Seal one draft: its record (not yet stored) and its ``message queued`` entry's data."""
        serial, prev_hash = direction.serial, direction.prev_hash
        # The salt makes the body commitment in the signed header unguessable;
        # the stored body keeps it, so the commitment can be re-checked later.
        if draft.salted_body is not None:
            body = dict(draft.salted_body)
        else:
            body = salted(
                {
                    "text": draft.text,
                    **ack_within_for(draft.kind, draft.precedence, self._ack_seconds),
                    **(draft.extra_body or {}),
                }
            )
        header = EnvelopeHeader(
            message_id=new_message_id(),
            sender=self._identity.signing_public,
            recipient=draft.peer.signing_key,
            channel=draft.channel,
            serial=serial,
            sent_at=stamp,
            time_group=group,
            precedence=draft.precedence,
            kind=draft.kind,
            prev_hash=prev_hash,
        )
        if direction.ratcheted:
            envelope, direction.chain = seal_envelope_ratcheted(
                header=header,
                body=body,
                sender=self._identity,
                recipient_encryption_key=draft.peer.encryption_key,
                chain=direction.chain,
            )
            direction.chain_moved = True
        else:
            envelope = seal_envelope(
                header=header,
                body=body,
                sender=self._identity,
                recipient_encryption_key=draft.peer.encryption_key,
            )
        record = MessageRecord(
            id=header.message_id,
            direction=Direction.OUT,
            peer=draft.peer.party,
            channel=draft.channel,
            serial=serial,
            time_group=group,
            sent_at=stamp,
            precedence=str(draft.precedence),
            kind=draft.kind,
            text=draft.text,
            body=encode_body(body),
            envelope=envelope.encode(),
            envelope_hash=envelope.hash,
            state=MessageState.QUEUED,
            created_at=stamp,
            transmitted_at=None,
            delivered_at=None,
            receipt=None,
        )
        data: dict[str, Any] = {
            "id": record.id,
            "peer": draft.peer.party,
            "serial": serial,
            "envelope_hash": envelope.hash.hex(),
            "precedence": str(draft.precedence),
            "channel": draft.channel,
        }
        party = body.get("party")
        if party is not None:
            # The record names the group and the payload every copy carries.
            data["group"] = party["group"]
            # The commitment sealing just computed: every copy's is the same.
            commitment = envelope.header.body_commitment
            assert commitment is not None  # envelopes of version 2 and 3 always carry it
            data["payload"] = commitment.hex()
        return record, data

    def accept_receipts(
        self,
        *,
        peer: PeerRecord,
        receipts: Sequence[bytes],
        transmitted: dict[str, SentMark] | None = None,
    ) -> ReceiptOutcome:
        """Verify and store receipts from ``peer``. Call inside one store transaction.

        A version-1 receipt covers one message; a version-2 receipt covers a
        range of serials (docs/protocol/receipts.md §6), and every message of
        the range still without a receipt is delivered by it. ``transmitted``
        maps message ids to (serial, when first sent), for sent marks not yet
        written: a receipt stored for one of them takes its mark along (and
        removes it from the map), so the caller writes only the rest.
        """
        delivered: list[str] = []
        refusals: list[str] = []
        revoked: list[str] = []
        for raw in receipts:
            try:
                receipt = Receipt.decode(raw)
                if receipt.version >= 2:
                    delivered.extend(self._accept_batch(peer, receipt, raw, transmitted))
                else:
                    delivered.extend(self._accept_single(peer, receipt, raw, transmitted))
            except (CryptoError, DeliveryError) as exc:
                reason = f"receipt refused: {type(exc).__name__}: {exc}"
                refusals.append(reason)
                if isinstance(exc, KeyRevoked):
                    revoked.append(str(exc))
                self._store.append_journal(
                    kind="refusal",
                    at=format_utc(self._clock.now()),
                    data={
                        "peer": peer.party,
                        "what": "receipt",
                        "error": type(exc).__name__,
                        "reason": str(exc),
                    },
                )
        return ReceiptOutcome(
            delivered=tuple(delivered), refusals=tuple(refusals), revoked=tuple(revoked)
        )

    def _accept_single(
        self,
        peer: PeerRecord,
        receipt: Receipt,
        raw: bytes,
        transmitted: dict[str, SentMark] | None,
    ) -> list[str]:
        message_id = receipt.message_id
        sent = None if message_id is None else self._store.outgoing_ref(message_id)
        if message_id is None or sent is None or sent[0] != peer.party:
            raise DeliveryError(f"receipt for unknown message {message_id}")
        _, serial, envelope_hash = sent
        # Checked against what we stored when we sealed it (we are the sender;
        # the peer's key never changes): no need to decode the envelope again.
        verify_receipt_fields(
            receipt,
            recipient_signing_key=peer.signing_key,
            message_id=message_id,
            envelope_hash=envelope_hash,
            sender=self._identity.signing_public,
            recipient=peer.signing_key,
            serial=serial,
            signing_key=self.signers.signing_key_for(peer, receipt.signer, receipt.received_at),
        )
        mark = transmitted.pop(message_id, None) if transmitted else None
        sent_at = None if mark is None else mark[1]
        if not self._store.add_delivery_receipt(
            message_id, raw, receipt.received_at, transmitted_at=sent_at
        ):
            return []
        self._store.append_journal(
            kind="receipt received",
            at=format_utc(self._clock.now()),
            data=_receipt_entry(peer, receipt, message_id, serial),
        )
        return [message_id]

    def _accept_batch(
        self,
        peer: PeerRecord,
        receipt: Receipt,
        raw: bytes,
        transmitted: dict[str, SentMark] | None,
    ) -> list[str]:
        first, last = receipt.first_serial, receipt.serial
        # Our own hashes of the range: the receipt's root must be theirs.
        hashes = self._store.envelope_hashes(peer.party, Direction.OUT, first, last)
        if len(hashes) != last - first + 1:
            raise DeliveryError(f"receipt for serials {first}..{last}, not all of which we sent")
        verify_batch_receipt(
            receipt,
            recipient_signing_key=peer.signing_key,
            sender=self._identity.signing_public,
            envelope_hashes=hashes,
            signing_key=self.signers.signing_key_for(peer, receipt.signer, receipt.received_at),
        )
        delivered: list[tuple[str, int]] = []
        # The range's sent marks not yet written ride on the receipt's write, each
        # with its own time: one statement per run of serials sent at one time (the
        # pump stamps a whole batch with one), instead of an UPDATE per message first.
        for low, high, sent_at in _runs(_take_marks(transmitted, first, last), first, last):
            delivered.extend(
                self._store.deliver_range(
                    peer.party,
                    low,
                    high,
                    receipt=raw,
                    delivered_at=receipt.received_at,
                    transmitted_at=sent_at,
                )
            )
        # One entry per message, as with version 1 (the record binds each message to
        # the receipt that covers it), all of them in one statement.
        stamp = format_utc(self._clock.now())
        self._store.append_journal_many(
            [
                ("receipt received", stamp, _receipt_entry(peer, receipt, message_id, serial))
                for message_id, serial in delivered
            ]
        )
        return [message_id for message_id, _ in delivered]


def _receipt_entry(
    peer: PeerRecord, receipt: Receipt, message_id: str, serial: int
) -> dict[str, Any]:
    """The data of the ``receipt received`` entry binding ``message_id`` to ``receipt``."""
    return {
        "id": message_id,
        "peer": peer.party,
        "serial": serial,
        "receipt_hash": receipt.hash.hex(),
        "received_at": receipt.received_at,
    }


def _take_marks(transmitted: dict[str, SentMark] | None, first: int, last: int) -> dict[int, str]:
    """Remove the marks of serials ``first``..``last`` from ``transmitted``: serial → sent at."""
    if not transmitted:
        return {}
    taken = [
        (message_id, mark) for message_id, mark in transmitted.items() if first <= mark[0] <= last
    ]
    for message_id, _ in taken:
        del transmitted[message_id]
    return dict(mark for _, mark in taken)


def _runs(marks: dict[int, str], first: int, last: int) -> list[tuple[int, int, str | None]]:
    """Split ``first``..``last`` into runs of consecutive serials with one sent time (or none)."""
    runs: list[tuple[int, int, str | None]] = []
    low, current = first, marks.get(first)
    for serial in range(first + 1, last + 1):
        sent_at = marks.get(serial)
        if sent_at != current:
            runs.append((low, serial - 1, current))
            low, current = serial, sent_at
    runs.append((low, last, current))
    return runs


def write_transmitted(store: Store, marks: Mapping[str, SentMark]) -> None:
    """Write queued → sent marks (message id → serial, first sent), one statement per time."""
    by_time: dict[str, list[str]] = {}
    for message_id, (_, sent_at) in marks.items():
        by_time.setdefault(sent_at, []).append(message_id)
    for sent_at, message_ids in by_time.items():
        store.mark_transmitted_many(message_ids, sent_at)


def encode_body(body: Mapping[str, Any]) -> bytes:
    """The canonical CBOR form of a plaintext body, as stored."""
    return bytes(cbor2.dumps(dict(body), canonical=True))


def decode_body(body: bytes) -> dict[str, Any]:
    """A stored plaintext body as a map; {} if it is not a CBOR map (never raises)."""
    try:
        decoded = cbor2.loads(body)
    except Exception:
        return {}
    return decoded if isinstance(decoded, dict) else {}


def is_exercise(record: MessageRecord) -> bool:
    """True if the message is marked EXERCISE (``"exercise": true`` in its signed body)."""
    return decode_body(record.body).get("exercise") is True
