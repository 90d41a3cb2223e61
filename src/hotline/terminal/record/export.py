"""``hotline export``: part of this terminal's record as one bundle a third party can audit.

The bundle is proved against the newest checkpoint of our log that a peer
cosigned (the selected peer's, with ``peer``): an inclusion proof against a
checkpoint only we signed would prove nothing to a third party, since we could
sign another history tomorrow. Entries newer than that checkpoint are left out
(the summary says how many); the terminal signs a checkpoint at least every
``[record] checkpoint_interval`` while it runs, and a later export includes
them once a peer has cosigned it.

Selection (docs/protocol/record.md, "Bundle"): ``peer`` keeps the entries
whose ``data.peer`` is that party (the whole line: both directions, receipts,
acknowledgements, calls, alarms); ``since``/``until`` keep ``since <= at <
until``; ``ids`` keeps entries whose ``data.id`` or ``data.ack_id`` is one of
them. The selectors combine with "and"; none selects every entry. The
selection is then *completed*: every message entry that a selected entry
names (its envelope entry, its receipt entry, its acknowledgements and the
ack messages that carry them) is added, so each message in the bundle comes
with everything that proves what became of it.

The summary names every marked message the bundle carries, with its marking
lines and its release, if any: the file carries that material, and whoever
holds it must handle it as the markings say.

The store is read only; this is safe while the terminal runs (SQLite readers
see one consistent snapshot per query, and every record read is append-only).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from hotline.crypto import Identity, NoteSignature, SignedNote
from hotline.errors import DeliveryError, InvalidArgument, NotCosigned, RecordError, UnknownPeer
from hotline.store import Direction, JournalEntry, MessageRecord, Store, journal_leaf_data
from hotline.terminal.config.settings import RecordSettings
from hotline.terminal.core.markings import markings_of
from hotline.terminal.core.proofs import receipt_proof
from hotline.terminal.record.audit_keys import carries_keys
from hotline.terminal.record.bundle import (
    KIND_QUEUED,
    KIND_RECEIPT,
    KIND_RECEIVED,
    LINKED_KINDS,
    Bundle,
    BundleConflict,
    BundleEntry,
    Selection,
)
from hotline.terminal.record.keeper import RecordKeeper
from hotline.terminal.runtime.clock import SystemClock
from hotline.utc import format_utc, parse_utc

__all__ = ["ExportSummary", "export_bundle", "marked_lines", "parse_moment"]

_BATCH = 4096
_MAX_CONFLICTS = 100_000


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportSummary:
    """What an export wrote, and what it had to leave out."""

    #: Log entries in the bundle, each with its inclusion proof.
    entries: int
    #: Messages (envelopes) among them.
    messages: int
    #: Size of the cosigned checkpoint the proofs are against.
    checkpoint_size: int
    #: Parties whose cosignature of that checkpoint the bundle carries.
    cosigners: tuple[str, ...]
    #: Entries the selection matched beyond the checkpoint: not exported (not cosigned yet).
    left_out: int
    #: Entries in the journal now.
    journal_size: int
    #: Each marked message in the bundle: a line naming it, then its marking lines
    #: (``Markings.lines``), then its release, if any (:func:`marked_lines`).
    marked: tuple[tuple[str, ...], ...] = ()

    def lines(self) -> list[str]:
        """The summary as the CLI prints it."""
        out = [
            f"{self.entries} entries, {self.messages} messages, proved against the checkpoint "
            f"of size {self.checkpoint_size} cosigned by {', '.join(self.cosigners)}"
        ]
        if self.left_out:
            out.append(
                f"{self.left_out} newer matching entries left out: no peer has cosigned them yet "
                "(a later export includes them once a peer cosigns a newer checkpoint)"
            )
        if self.marked:
            out.append(f"{len(self.marked)} marked messages: handle the file as their markings say")
            for message in self.marked:
                out.append(f"  {message[0]}")
                out.extend(f"      ** {line}" for line in message[1:])
        return out


def parse_moment(value: datetime | str | None, what: str) -> str | None:
    """A UTC moment (an aware datetime, or ISO 8601 text with a zone) in ``format_utc`` form."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return format_utc(parse_utc(value))
        except ValueError:
            pass
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidArgument(
                f"{what}: {value!r} is not a time such as 2026-11-22T04:31:14Z"
            ) from None
    if value.tzinfo is None:
        raise InvalidArgument(f"{what}: give the time in UTC (end it with Z)")
    return format_utc(value.astimezone(UTC))


def export_bundle(
    store: Store,
    identity: Identity,
    card_json: str,
    *,
    peer: str | None = None,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
    ids: Sequence[str] = (),
    now: datetime | None = None,
) -> tuple[Bundle, ExportSummary]:
    """The selected part of our record as a signed bundle, and a summary of it.

    Raises :class:`UnknownPeer` for a ``peer`` we do not know,
    :class:`NotCosigned` if no checkpoint is cosigned (by ``peer``), and
    :class:`InvalidArgument` for a bad time.
    """
    selection = Selection(
        peer=peer,
        since=parse_moment(since, "since"),
        until=parse_moment(until, "until"),
        ids=tuple(dict.fromkeys(ids)),
    )
    peers = {p.party: p for p in store.list_peers()}
    if peer is not None and peer not in peers:
        raise UnknownPeer(f"no peer named {peer!r}")
    size = _checkpoint_size(store, peer)
    checkpoint = store.checkpoint_at(size)
    if checkpoint is None:
        raise RecordError(f"the store holds no checkpoint of size {size}, which a peer cosigned")
    cosignatures = store.cosignatures_for(size)
    note = SignedNote.decode(checkpoint.note).with_signatures(
        *(NoteSignature.from_line(c.line) for c in cosignatures)
    )
    selected, left_out, journal_size = _select(store, selection, size)
    keeper = RecordKeeper(
        store=store, identity=identity, clock=SystemClock(), settings=RecordSettings()
    )
    entries: list[BundleEntry] = []
    envelopes: dict[str, bytes] = {}
    bodies: dict[str, bytes] = {}
    receipts: dict[str, bytes] = {}
    proofs: dict[str, tuple[bytes, ...]] = {}
    for entry in selected:
        entries.append(
            BundleEntry(
                index=entry.seq - 1,
                leaf=journal_leaf_data(entry),
                proof=tuple(keeper.inclusion(entry.seq - 1, size)),
            )
        )
        _objects(store, entry, envelopes, bodies, receipts, proofs)
    witnessed = [
        w.note.decode("utf-8")
        for party, w in sorted(store.latest_witnessed_all().items())
        if peer is None or party == peer
    ]
    conflicts = [
        BundleConflict(
            log=c.log,
            peer=c.peer,
            kind=c.kind,
            detected_at=c.detected_at,
            known=c.known.decode("utf-8"),
            offered=c.offered.decode("utf-8"),
            proof=c.proof,
            detail=c.detail,
        )
        for c in reversed(store.record_conflicts(_MAX_CONFLICTS))
        if peer is None or c.peer == peer
    ]
    unsigned = Bundle(
        exported_by=identity.party,
        exported_at=format_utc(now or datetime.now(UTC)),
        selection=selection,
        cards=(card_json, *(peers[party].card_json for party in sorted(peers))),
        origin=keeper.origin,
        checkpoint=note.encode().decode("utf-8"),
        entries=tuple(entries),
        envelopes=envelopes,
        bodies=bodies,
        receipts=receipts,
        proofs=proofs,
        witnessed=tuple(witnessed),
        conflicts=tuple(conflicts),
        signature=bytes(64),
    )
    bundle = replace(unsigned, signature=identity.sign(unsigned.signed_bytes()))
    summary = ExportSummary(
        entries=len(entries),
        messages=len(envelopes),
        checkpoint_size=size,
        cosigners=tuple(sorted({c.peer for c in cosignatures})),
        left_out=left_out,
        journal_size=journal_size,
        marked=marked_lines(store, bodies),
    )
    return bundle, summary


def marked_lines(store: Store, message_ids: Iterable[str]) -> tuple[tuple[str, ...], ...]:
    """For each marked message among ``message_ids``: a line naming it, its marking lines, its
    release (when released), in serial order per line."""
    found = []
    for message_id in message_ids:
        record = store.get_message(message_id)
        markings = None if record is None else markings_of(record)
        if record is None or markings is None:
            continue
        arrow = "->" if record.direction is Direction.OUT else "<-"
        head = (
            f"{arrow} {record.peer} serial {record.serial} {record.time_group} "
            f"({record.channel}) id {record.id}"
        )
        lines = [head, *markings.lines()]
        release = store.release_of(record.id)
        if release is not None:
            public = "" if release.public_text is None else f": {release.public_text!r}"
            lines.append(f"RELEASED {release.released_at} by {release.released_by}{public}")
        found.append((record.peer, record.direction.value, record.serial, tuple(lines)))
    return tuple(lines for *_, lines in sorted(found))


def _checkpoint_size(store: Store, peer: str | None) -> int:
    cosigned = store.latest_cosignatures()
    if peer is not None:
        mine = cosigned.get(peer)
        if mine is None:
            raise NotCosigned(
                f"{peer} has not cosigned any checkpoint of this terminal's record yet: "
                "nothing can be exported with a proof it vouches for"
            )
        return mine.size
    if not cosigned:
        raise NotCosigned(
            "no peer has cosigned a checkpoint of this terminal's record yet: nothing can be "
            "exported with a proof a third party would accept (run the terminal until a peer "
            "has cosigned)"
        )
    return max(c.size for c in cosigned.values())


def _journal(store: Store) -> Iterator[JournalEntry]:
    after = 0
    while True:
        batch = store.journal_entries(after, _BATCH)
        yield from batch
        if len(batch) < _BATCH:
            return
        after = batch[-1].seq


def _matches(entry: JournalEntry, selection: Selection, ids: frozenset[str]) -> bool:
    data = entry.data
    if selection.peer is not None and data.get("peer") != selection.peer:
        return False
    # format_utc strings have one fixed width: they sort as the moments do.
    if selection.since is not None and entry.at < selection.since:
        return False
    if selection.until is not None and entry.at >= selection.until:
        return False
    return not ids or data.get("id") in ids or data.get("ack_id") in ids


def _message_ids(entry: JournalEntry) -> set[str]:
    """The message ids a linked entry names (its message, and the ack message if any)."""
    if entry.kind not in LINKED_KINDS:
        return set()
    return {v for v in (entry.data.get("id"), entry.data.get("ack_id")) if isinstance(v, str)}


def _select(store: Store, selection: Selection, size: int) -> tuple[list[JournalEntry], int, int]:
    """(the completed selection up to ``size``, matching entries beyond it, journal size)."""
    ids = frozenset(selection.ids)
    chosen: dict[int, JournalEntry] = {}
    linked: dict[str, list[JournalEntry]] = {}
    left_out = journal_size = 0
    for entry in _journal(store):
        journal_size = entry.seq
        if entry.seq > size:
            left_out += _matches(entry, selection, ids)
            continue
        for message_id in _message_ids(entry):
            linked.setdefault(message_id, []).append(entry)
        if _matches(entry, selection, ids) or carries_keys(entry.kind, entry.data, selection.peer):
            chosen[entry.seq] = entry
    # Complete it: every linked entry of every message a chosen entry names.
    pending = {m for entry in chosen.values() for m in _message_ids(entry)}
    seen: set[str] = set()
    while pending:
        message_id = pending.pop()
        seen.add(message_id)
        for entry in linked.get(message_id, ()):
            if entry.seq not in chosen:
                chosen[entry.seq] = entry
            pending |= _message_ids(entry) - seen
    return [chosen[seq] for seq in sorted(chosen)], left_out, journal_size


def _objects(
    store: Store,
    entry: JournalEntry,
    envelopes: dict[str, bytes],
    bodies: dict[str, bytes],
    receipts: dict[str, bytes],
    proofs: dict[str, tuple[bytes, ...]],
) -> None:
    """Add the signed objects ``entry`` binds by hash (and a batch receipt's proof)."""
    if entry.kind not in (KIND_QUEUED, KIND_RECEIVED, KIND_RECEIPT):
        return
    data: dict[str, Any] = entry.data
    message = store.get_message(str(data.get("id")))
    if message is None:
        raise RecordError(
            f"journal entry {entry.seq} ({entry.kind}) names message {data.get('id')}, "
            "which the store does not hold"
        )
    if entry.kind == KIND_RECEIPT:
        if message.receipt is None or (
            hashlib.sha256(message.receipt).hexdigest() != data.get("receipt_hash")
        ):
            raise RecordError(
                f"journal entry {entry.seq} binds a receipt of {message.id} the store does not hold"
            )
        receipts[message.id] = message.receipt
        _add_proof(store, message, proofs)
        return
    if message.envelope_hash.hex() != data.get("envelope_hash"):
        raise RecordError(
            f"journal entry {entry.seq} binds an envelope of {message.id} the store does not hold"
        )
    envelopes[message.envelope_hash.hex()] = message.envelope
    bodies[message.id] = message.body
    if entry.kind == KIND_RECEIVED:
        if message.receipt is None:
            raise RecordError(f"the store holds no receipt for incoming message {message.id}")
        # The receipt we signed names, as our journal head, this very entry's hash
        # (or, for a batch, the entry of the batch's last message).
        receipts[message.id] = message.receipt
        _add_proof(store, message, proofs)


def _add_proof(store: Store, message: MessageRecord, proofs: dict[str, tuple[bytes, ...]]) -> None:
    try:
        path = receipt_proof(store, message)
    except DeliveryError as exc:
        raise RecordError(f"message {message.id}: {exc}") from None
    if path:
        proofs[message.id] = tuple(path)
