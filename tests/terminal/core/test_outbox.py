"""Outbox.queue_many: a burst sealed and stored in one transaction, chained in memory."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from hotline.crypto import ZERO_HASH, Envelope, verify_envelope
from hotline.errors import InvalidArgument, MessageTooLarge
from hotline.store import MessageState
from hotline.terminal import open_terminal
from hotline.terminal.config import TerminalFiles
from hotline.terminal.core.inbox import Inbox
from hotline.terminal.core.outbox import MAX_TEXT_BYTES, Draft, Outbox
from hotline.terminal.runtime.clock import SystemClock
from hotline.testing import FakeClock
from hotline.utc import format_utc
from tests.terminal.helpers import make_pair


@pytest.fixture
def washington(tmp_path: Path) -> Iterator[TerminalFiles]:
    washington_dir, _ = make_pair(tmp_path)
    files = open_terminal(washington_dir)
    yield files
    files.store.close()


def test_queue_many_chains_serials_in_one_commit(washington: TerminalFiles) -> None:
    store = washington.store
    peer = store.get_peer("Moscow")
    assert peer is not None
    outbox = Outbox(store=store, identity=washington.identity, clock=SystemClock())
    first = outbox.queue(peer=peer, text="first")
    commits = store.statistics().commits
    records = outbox.queue_many([Draft(peer=peer, text=f"burst {i}") for i in range(5)])
    assert store.statistics().commits == commits + 1  # one fsync for the burst
    assert [r.serial for r in records] == [2, 3, 4, 5, 6]
    previous = first
    for record in records:
        envelope = Envelope.decode(record.envelope)
        verify_envelope(envelope, sender_signing_key=washington.identity.signing_public)
        assert envelope.header.prev_hash == previous.envelope_hash
        assert store.get_message(record.id) == record
        assert record.state is MessageState.QUEUED
        previous = record
    assert Envelope.decode(first.envelope).header.prev_hash == ZERO_HASH
    assert len({r.id for r in records}) == 5
    assert store.verify_journal() is None


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        ({"channel": "Not A Channel"}, InvalidArgument),
        ({"text": "x" * (MAX_TEXT_BYTES + 1)}, MessageTooLarge),
    ],
)
def test_queue_many_is_all_or_nothing(
    washington: TerminalFiles, bad: dict[str, str], error: type[Exception]
) -> None:
    store = washington.store
    peer = store.get_peer("Moscow")
    assert peer is not None
    outbox = Outbox(store=store, identity=washington.identity, clock=SystemClock())
    drafts = [
        Draft(peer=peer, text="good"),
        Draft(peer=peer, text=bad.get("text", "bad"), channel=bad.get("channel", "leaders")),
    ]
    with pytest.raises(error):
        outbox.queue_many(drafts)
    assert store.list_messages() == []
    assert outbox.queue(peer=peer, text="after").serial == 1


def test_a_batch_receipt_writes_each_waiting_sent_mark_with_its_own_time(
    tmp_path: Path,
) -> None:
    """The marks of a receipt's range ride on its write, each with its own time; others wait."""
    washington_dir, moscow_dir = make_pair(tmp_path)
    washington, moscow = open_terminal(washington_dir), open_terminal(moscow_dir)
    clock = FakeClock()
    try:
        to_moscow = washington.store.get_peer("Moscow")
        from_washington = moscow.store.get_peer("Washington")
        assert to_moscow is not None
        assert from_washington is not None
        outbox = Outbox(store=washington.store, identity=washington.identity, clock=clock)
        outbox.peer_speaks(to_moscow, 2)
        records = [outbox.queue(peer=to_moscow, text=f"m{i}") for i in range(5)]
        inbox = Inbox(store=moscow.store, identity=moscow.identity, clock=clock)
        with moscow.store.transaction():
            outcome = inbox.accept(
                peer=from_washington, envelopes=[r.envelope for r in records[:4]], batched=True
            )
        assert len(outcome.receipts) == 1
        early, late = format_utc(clock.now()), format_utc(clock.now() + timedelta(seconds=1))
        # Serial 1 was marked before (not noted); 2-3 sent at one time, 4-5 at another.
        washington.store.mark_transmitted(records[0].id, early)
        marks = {r.id: (r.serial, early if r.serial <= 3 else late) for r in records[1:]}
        with washington.store.transaction():
            delivered = outbox.accept_receipts(
                peer=to_moscow, receipts=list(outcome.receipts), transmitted=marks
            )
        assert delivered.delivered == tuple(r.id for r in records[:4])
        assert marks == {records[4].id: (5, late)}  # beyond the range: the caller's to write
        stored = [washington.store.get_message(r.id) for r in records]
        assert [m.transmitted_at if m else None for m in stored] == [
            early,
            early,
            early,
            late,
            None,
        ]
        assert [m.state if m else None for m in stored] == [MessageState.DELIVERED] * 4 + [
            MessageState.QUEUED
        ]
    finally:
        washington.store.close()
        moscow.store.close()
