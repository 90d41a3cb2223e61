"""Outbox.queue_many: a burst sealed and stored in one transaction, chained in memory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline.crypto import ZERO_HASH, Envelope, verify_envelope
from hotline.errors import InvalidArgument, MessageTooLarge
from hotline.store import MessageState
from hotline.terminal import open_terminal
from hotline.terminal.config import TerminalFiles
from hotline.terminal.core.outbox import MAX_TEXT_BYTES, Draft, Outbox
from hotline.terminal.runtime.clock import SystemClock
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
