"""``verify_store``: a clean record passes; each kind of corruption is caught and named.

The record is made the real way, without a network: Washington's outbox seals
messages, Moscow's inbox accepts them and signs receipts, Washington's outbox
accepts the receipts, and the same the other way. Corruption is done as
someone editing the database file would: through a raw ``sqlite3``
connection, with the integrity triggers dropped for the edit and put back
after it (the store would refuse these edits otherwise).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cbor2
import pytest

from hotline.crypto import EnvelopeHeader, new_message_id
from hotline.store import Direction, MessageRecord, MessageState
from hotline.terminal import VerifyReport, open_terminal, verify_store
from hotline.terminal.config import TerminalFiles
from hotline.terminal.core.inbox import Inbox
from hotline.terminal.core.outbox import Outbox
from hotline.testing import FakeClock
from tests.crypto.helpers import seal_version_1
from tests.terminal.helpers import make_pair


@dataclass(frozen=True)
class Record:
    washington: Path
    moscow: Path
    #: Message ids by (sender party, serial).
    ids: dict[tuple[str, int], str]
    #: The session protocol the record was made under (1 or 2).
    protocol: int = 1


def _exchange(
    sender: TerminalFiles,
    receiver: TerminalFiles,
    texts: list[str],
    clock: FakeClock,
    *,
    receipted: bool = True,
    protocol: int = 1,
) -> list[str]:
    """Queue ``texts`` at ``sender``, deliver them to ``receiver``, bring the receipts back."""
    to_peer = sender.store.get_peer(receiver.settings.party)
    from_peer = receiver.store.get_peer(sender.settings.party)
    assert to_peer is not None
    assert from_peer is not None
    outbox = Outbox(store=sender.store, identity=sender.identity, clock=clock)
    outbox.peer_speaks(to_peer, protocol)
    inbox = Inbox(store=receiver.store, identity=receiver.identity, clock=clock)
    records = [outbox.queue(peer=to_peer, text=text) for text in texts]
    if not receipted:
        return [r.id for r in records]
    clock.advance(1)
    with receiver.store.transaction():
        outcome = inbox.accept(
            peer=from_peer, envelopes=[r.envelope for r in records], batched=protocol >= 2
        )
    assert outcome.refusals == ()
    with sender.store.transaction():
        acknowledged = outbox.accept_receipts(peer=to_peer, receipts=list(outcome.receipts))
    assert len(acknowledged.delivered) == len(texts)
    return [r.id for r in records]


@pytest.fixture(params=[1, 2], ids=["protocol-1", "protocol-2"])
def record(tmp_path: Path, request: pytest.FixtureRequest) -> Record:
    """Washington sent 3 (receipted) + 1 (still queued); Moscow sent 2 (receipted).

    Under protocol 2 the envelopes are ratcheted (version 3) and each batch has
    one receipt: every check must hold, and catch the same corruption, either way.
    """
    protocol: int = request.param
    washington_dir, moscow_dir = make_pair(tmp_path)
    washington, moscow = open_terminal(washington_dir), open_terminal(moscow_dir)
    clock = FakeClock()
    try:
        w_ids = _exchange(washington, moscow, ["w1", "w2", "w3"], clock, protocol=protocol)
        m_ids = _exchange(moscow, washington, ["m1", "m2"], clock, protocol=protocol)
        w_ids += _exchange(
            washington, moscow, ["w4 (queued)"], clock, receipted=False, protocol=protocol
        )
    finally:
        washington.store.close()
        moscow.store.close()
    ids = {("Washington", n): i for n, i in enumerate(w_ids, 1)}
    ids |= {("Moscow", n): i for n, i in enumerate(m_ids, 1)}
    return Record(washington=washington_dir, moscow=moscow_dir, ids=ids, protocol=protocol)


def verify(directory: Path) -> VerifyReport:
    files = open_terminal(directory)
    try:
        return verify_store(files.store, files.identity)
    finally:
        files.store.close()


@contextlib.contextmanager
def tampered(directory: Path) -> Iterator[sqlite3.Connection]:
    """A raw connection to the terminal's database with its triggers dropped, then restored."""
    connection = sqlite3.connect(directory / "hotline.db", isolation_level=None)
    try:
        triggers = connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
        ).fetchall()
        assert triggers, "the schema should guard its tables with triggers"
        for name, _ in triggers:
            connection.execute(f'DROP TRIGGER "{name}"')
        yield connection
        for _, sql in triggers:
            connection.execute(sql)
    finally:
        connection.close()


def flip_column(connection: sqlite3.Connection, column: str, message_id: str, index: int) -> None:
    """Invert one byte of a BLOB column of one message row."""
    [(value,)] = connection.execute(f"SELECT {column} FROM messages WHERE id = ?", (message_id,))
    index %= len(value)
    changed = value[:index] + bytes([value[index] ^ 0xFF]) + value[index + 1 :]
    connection.execute(f"UPDATE messages SET {column} = ? WHERE id = ?", (changed, message_id))


def test_clean_record_verifies_on_both_sides(record: Record) -> None:
    washington = verify(record.washington)
    assert washington.ok, washington.summary()
    assert (washington.sent, washington.received) == (4, 2)
    assert (washington.signatures, washington.receipts, washington.chains) == (6, 5, 2)
    assert washington.summary().startswith("verified: 4 sent, 2 received")
    moscow = verify(record.moscow)
    assert moscow.ok, moscow.summary()
    assert (moscow.sent, moscow.received, moscow.receipts, moscow.chains) == (2, 3, 5, 2)
    assert moscow.journal_entries > 0


def test_flipped_byte_in_a_stored_envelope(record: Record) -> None:
    victim = record.ids[("Washington", 2)]
    with tampered(record.moscow) as db:
        # A byte near the end: inside the signature, so the envelope still decodes.
        flip_column(db, "envelope", victim, -3)
    report = verify(record.moscow)
    assert not report.ok
    assert report.fault is not None
    assert f"message {victim} (from Washington, serial 2)" in report.fault
    assert "envelope does not verify: SignatureInvalid" in report.fault
    assert report.summary().startswith("FAULT: ")


def test_envelope_swapped_with_its_hash_still_caught(record: Record) -> None:
    """Replacing the bytes but keeping the stored hash: the hash no longer matches."""
    first, second = record.ids[("Moscow", 1)], record.ids[("Moscow", 2)]
    with tampered(record.washington) as db:
        [(envelope,)] = db.execute("SELECT envelope FROM messages WHERE id = ?", (second,))
        db.execute("UPDATE messages SET envelope = ? WHERE id = ?", (envelope, first))
    report = verify(record.washington)
    assert report.fault is not None
    assert f"message {first} (from Moscow, serial 1)" in report.fault


def test_removed_message_leaves_a_gap(record: Record) -> None:
    with tampered(record.moscow) as db:
        db.execute("DELETE FROM messages WHERE id = ?", (record.ids[("Washington", 2)],))
    report = verify(record.moscow)
    assert report.fault is not None
    if record.protocol >= 2:
        # The batch receipt of serials 1..3 can no longer be proven for serial 1.
        first = record.ids[("Washington", 1)]
        assert f"message {first} (from Washington, serial 1)" in report.fault
        assert "the chain has a gap" in report.fault
        return
    third = record.ids[("Washington", 3)]
    assert f"message {third} (from Washington, serial 3)" in report.fault
    assert "expected serial 2" in report.fault
    assert "gap" in report.fault


def test_tampered_receipt(record: Record) -> None:
    victim = record.ids[("Washington", 1)]
    with tampered(record.washington) as db:
        flip_column(db, "receipt", victim, -3)
    report = verify(record.washington)
    assert report.fault is not None
    assert f"message {victim} (to Moscow, serial 1)" in report.fault
    assert "receipt does not verify" in report.fault


def test_edited_journal_row(record: Record) -> None:
    with tampered(record.moscow) as db:
        [(seq, data)] = db.execute(
            "SELECT seq, data FROM journal WHERE kind = 'message received' ORDER BY seq LIMIT 1"
        )
        db.execute(
            "UPDATE journal SET data = ? WHERE seq = ?",
            (data.replace('"Washington"', '"Beijing"'), seq),
        )
    report = verify(record.moscow)
    assert report.fault is not None
    assert report.fault.startswith("journal: ")
    assert str(seq) in report.fault
    # The messages themselves were all checked and held.
    assert (report.received, report.sent) == (3, 2)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        pytest.param(
            lambda db, m: db.execute("UPDATE messages SET channel = 'other' WHERE id = ?", (m,)),
            "stored channel differ from the signed envelope",
            id="channel-edited",
        ),
        pytest.param(
            lambda db, m: db.execute(
                "UPDATE messages SET precedence = 'flash', time_group = '010000Z' WHERE id = ?",
                (m,),
            ),
            "stored time_group, precedence differ from the signed envelope",
            id="precedence-and-time-group-edited",
        ),
        pytest.param(
            lambda db, m: db.execute(
                "UPDATE messages SET delivered_at = '2030-01-01T00:00:00.000000Z' WHERE id = ?",
                (m,),
            ),
            "delivered_at differs from the receipt's received_at",
            id="delivered-at-edited",
        ),
    ],
)
def test_edited_message_fields_are_named(
    record: Record, edit: Callable[[sqlite3.Connection, str], object], expected: str
) -> None:
    victim = record.ids[("Washington", 3)]
    with tampered(record.moscow) as db:
        edit(db, victim)
    report = verify(record.moscow)
    assert report.fault is not None
    assert f"message {victim} (from Washington, serial 3): {expected}" == report.fault


@pytest.mark.parametrize(
    ("party", "serial", "sql"),
    [
        ("Washington", 4, "UPDATE messages SET state = 'delivered' WHERE id = ?"),
        ("Moscow", 3, "UPDATE messages SET receipt = NULL, state = 'sent' WHERE id = ?"),
        ("Moscow", 3, "UPDATE messages SET state = 'queued' WHERE id = ?"),
    ],
    ids=["delivered-without-receipt", "receipt-removed", "state-rolled-back"],
)
def test_rows_whose_state_and_receipt_disagree_are_named(
    record: Record, party: str, serial: int, sql: str
) -> None:
    """The store refuses to load such a row; verify reports it instead of crashing."""
    victim = record.ids[("Washington", serial)]
    directory = record.washington if party == "Washington" else record.moscow
    with tampered(directory) as db:
        db.execute(sql, (victim,))
    report = verify(directory)
    assert report.fault is not None
    assert report.fault.startswith(f"a stored row is damaged: message {victim}")


def test_keys_of_another_terminal_do_not_verify_this_store(record: Record) -> None:
    washington, moscow = open_terminal(record.washington), open_terminal(record.moscow)
    try:
        report = verify_store(washington.store, moscow.identity)
    finally:
        washington.store.close()
        moscow.store.close()
    assert report.fault == "the store's party record does not match this terminal's keys"


# -- body commitments (envelope version 2) and stores written before them ----------


def test_every_stored_body_matches_its_commitment(record: Record) -> None:
    washington, moscow = verify(record.washington), verify(record.moscow)
    # Sent ones count too: we sealed them, we stored exactly what we sealed.
    assert washington.commitments == washington.sent + washington.received == 6
    assert moscow.commitments == moscow.sent + moscow.received == 5
    assert "6 body commitments" in washington.summary()


def _rewrite_body(db: sqlite3.Connection, message_id: str, text: str, *, column: bool) -> None:
    """Put ``text`` in the stored body (salt kept, still canonical) and, if asked, the text column."""
    [(body,)] = db.execute("SELECT body FROM messages WHERE id = ?", (message_id,))
    edited = cbor2.dumps({**cbor2.loads(body), "text": text}, canonical=True)
    db.execute("UPDATE messages SET body = ? WHERE id = ?", (edited, message_id))
    if column:
        db.execute("UPDATE messages SET text = ? WHERE id = ?", (text, message_id))


@pytest.mark.parametrize(
    ("holder", "label"),
    [("washington", "to Moscow"), ("moscow", "from Washington")],
    ids=["sent", "received"],
)
def test_edited_body_breaks_the_commitment(record: Record, holder: str, label: str) -> None:
    """Text and body edited together, consistently: the sender's commitment catches it."""
    victim = record.ids[("Washington", 2)]
    directory = getattr(record, holder)
    with tampered(directory) as db:
        _rewrite_body(db, victim, "w2, edited", column=True)
    report = verify(directory)
    assert report.fault == (
        f"message {victim} ({label}, serial 2): stored body is not the one "
        "the sender committed to in the signed envelope"
    )


def test_edited_text_of_a_sent_message_is_caught(record: Record) -> None:
    """What the operator reads for a sent message is checked against the committed body."""
    victim = record.ids[("Washington", 1)]
    with tampered(record.washington) as db:
        db.execute("UPDATE messages SET text = 'w1, edited' WHERE id = ?", (victim,))
    report = verify(record.washington)
    assert report.fault == (
        f"message {victim} (to Moscow, serial 1): stored text differs from the committed body"
    )


def _queue_version_1(sender: TerminalFiles, receiver: TerminalFiles, texts: list[str]) -> None:
    """Store ``texts`` as ``sender`` did before version 2: v1 envelopes, unsalted bodies.

    Only the sealing is done by hand (``seal_envelope`` makes v2 only); the
    record is stored as the version-1 outbox stored it.
    """
    peer = sender.store.get_peer(receiver.settings.party)
    assert peer is not None
    with sender.store.transaction():
        for text in texts:
            serial, prev_hash = sender.store.next_outgoing_serial(peer.party)
            stamp = "2025-05-10T06:00:00.000000Z"
            body = {"text": text}
            envelope = seal_version_1(
                header=EnvelopeHeader(
                    version=1,
                    message_id=new_message_id(),
                    sender=sender.identity.signing_public,
                    recipient=peer.signing_key,
                    serial=serial,
                    sent_at=stamp,
                    time_group="100600Z",
                    prev_hash=prev_hash,
                ),
                body=body,
                sender=sender.identity,
                recipient_encryption_key=peer.encryption_key,
            )
            sender.store.add_outgoing(
                MessageRecord(
                    id=envelope.header.message_id,
                    direction=Direction.OUT,
                    peer=peer.party,
                    channel=envelope.header.channel,
                    serial=serial,
                    time_group=envelope.header.time_group,
                    sent_at=stamp,
                    precedence=str(envelope.header.precedence),
                    kind="text",
                    text=text,
                    body=cbor2.dumps(body, canonical=True),
                    envelope=envelope.encode(),
                    envelope_hash=envelope.hash,
                    state=MessageState.QUEUED,
                    created_at=stamp,
                    transmitted_at=None,
                    delivered_at=None,
                    receipt=None,
                )
            )


def _deliver_queued(sender: TerminalFiles, receiver: TerminalFiles, clock: FakeClock) -> None:
    """Hand every queued envelope of ``sender`` to ``receiver``'s inbox and the receipts back."""
    to_peer = sender.store.get_peer(receiver.settings.party)
    from_peer = receiver.store.get_peer(sender.settings.party)
    assert to_peer is not None
    assert from_peer is not None
    queued = [
        m.envelope
        for m in sender.store.iter_messages(peer=to_peer.party, direction=Direction.OUT)
        if m.state is MessageState.QUEUED
    ]
    inbox = Inbox(store=receiver.store, identity=receiver.identity, clock=clock)
    with receiver.store.transaction():
        outcome = inbox.accept(peer=from_peer, envelopes=queued)
    assert outcome.refusals == ()
    outbox = Outbox(store=sender.store, identity=sender.identity, clock=clock)
    with sender.store.transaction():
        delivered = outbox.accept_receipts(peer=to_peer, receipts=list(outcome.receipts))
    assert len(delivered.delivered) == len(queued)


def test_a_store_of_version_1_envelopes_still_verifies(tmp_path: Path) -> None:
    """An old store, then an upgrade: v1 envelopes verify, the chain runs on into v2."""
    washington_dir, moscow_dir = make_pair(tmp_path)
    washington, moscow = open_terminal(washington_dir), open_terminal(moscow_dir)
    clock = FakeClock()
    try:
        _queue_version_1(washington, moscow, ["old 1", "old 2"])
        # A receiver takes version 1 off the wire (envelope.md §11).
        _deliver_queued(washington, moscow, clock)
        for files in (washington, moscow):
            old = verify_store(files.store, files.identity)
            assert old.ok, old.summary()
            assert (old.sent + old.received, old.receipts, old.commitments) == (2, 2, 0)
        held = [
            m.text for m in moscow.store.iter_messages(peer="Washington", direction=Direction.IN)
        ]
        assert held == ["old 1", "old 2"]
        # The upgraded sender chains its first version-2 envelope to the last v1 one.
        _exchange(washington, moscow, ["new 3"], clock)
        for files, sent, received in ((washington, 3, 0), (moscow, 0, 3)):
            report = verify_store(files.store, files.identity)
            assert report.ok, report.summary()
            assert (report.sent, report.received, report.commitments) == (sent, received, 1)
    finally:
        washington.store.close()
        moscow.store.close()
