"""Inbox.accept on one batch: the serial chain is followed in memory across the batch."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hotline.crypto import Envelope, EnvelopeHeader, salted, seal_envelope
from hotline.store import Direction
from hotline.terminal import open_terminal
from hotline.terminal.config import TerminalFiles
from hotline.terminal.core.inbox import FRAME_ONLY_KINDS, Inbox, InboxOutcome
from hotline.terminal.core.outbox import Draft, Outbox
from hotline.terminal.linktest import LinkTestDesk
from hotline.terminal.runtime.clock import SystemClock
from tests.terminal.helpers import make_pair, refusals


@dataclass
class Pair:
    washington: TerminalFiles
    moscow: TerminalFiles


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[Pair]:
    washington_dir, moscow_dir = make_pair(tmp_path)
    opened = Pair(open_terminal(washington_dir), open_terminal(moscow_dir))
    yield opened
    opened.washington.store.close()
    opened.moscow.store.close()


def _envelopes(pair: Pair, count: int) -> list[bytes]:
    store = pair.washington.store
    moscow = store.get_peer("Moscow")
    assert moscow is not None
    outbox = Outbox(store=store, identity=pair.washington.identity, clock=SystemClock())
    records = outbox.queue_many([Draft(peer=moscow, text=f"m{i}") for i in range(count)])
    return [record.envelope for record in records]


def _accept(pair: Pair, envelopes: list[bytes]) -> InboxOutcome:
    store = pair.moscow.store
    washington = store.get_peer("Washington")
    assert washington is not None
    inbox = Inbox(store=store, identity=pair.moscow.identity, clock=SystemClock())
    with store.transaction():
        return inbox.accept(peer=washington, envelopes=envelopes)


def _serials(pair: Pair) -> list[int]:
    held = pair.moscow.store.list_messages(peer="Washington", direction=Direction.IN)
    return sorted(m.serial for m in held)


def test_a_batch_stores_in_order_repeats_and_asks_for_a_gap(pair: Pair) -> None:
    one, two, three, four, five = _envelopes(pair, 5)
    outcome = _accept(pair, [one, two, three, two, five, four])
    # 1-3 stored (the chain followed in memory), 2 again answered with its receipt,
    # 5 is a gap (resume from 3), then 4 arrives and chains to 3.
    assert [r.serial for r in outcome.accepted] == [1, 2, 3, 4]
    assert outcome.resume_from == 3
    assert len(outcome.receipts) == 5
    assert outcome.receipts[3] == outcome.receipts[1]  # the repeat is the stored receipt
    assert _serials(pair) == [1, 2, 3, 4]
    assert _accept(pair, [five]).accepted[0].serial == 5


def test_a_refused_envelope_does_not_move_the_chain(pair: Pair) -> None:
    one, two = _envelopes(pair, 2)
    washington = pair.washington.identity
    first = Envelope.decode(one)
    header = first.header
    # Serial 2, signed by Washington, but chained to the wrong hash.
    forged_header = EnvelopeHeader(
        message_id="ab" * 16,
        sender=header.sender,
        recipient=header.recipient,
        channel=header.channel,
        serial=2,
        sent_at=header.sent_at,
        time_group=header.time_group,
        precedence=header.precedence,
        kind=header.kind,
        prev_hash=hashlib.sha256(b"not envelope 1").digest(),
    )
    moscow_card = pair.washington.store.get_peer("Moscow")
    assert moscow_card is not None
    forged = seal_envelope(
        header=forged_header,
        body=salted({"text": "forged"}),
        sender=washington,
        recipient_encryption_key=moscow_card.encryption_key,
    ).encode()
    outcome = _accept(pair, [one, forged, two])
    assert [r.serial for r in outcome.accepted] == [1, 2]
    assert len(outcome.refusals) == 1
    assert "ChainBroken" in outcome.refusals[0]
    assert _serials(pair) == [1, 2]
    assert len(refusals(pair.moscow.store)) == 1


def test_a_link_test_in_a_data_frame_never_enters_the_inbox(pair: Pair) -> None:
    """Issue 21, defect 7: a TEST envelope sent as a message was stored as kind ``test``.

    A fresh line (no message yet) is where it fitted: serial 1 chaining to zeros.
    """
    store = pair.washington.store
    moscow = store.get_peer("Moscow")
    assert moscow is not None
    tester = LinkTestDesk(
        store=store, identity=pair.washington.identity, clock=SystemClock(), language="en"
    )
    with store.transaction():
        sent = tester.make_test(peer=moscow, route="primary", slot=0, number=0)
    assert sent.envelope.header.kind in FRAME_ONLY_KINDS
    outcome = _accept(pair, [sent.envelope.encode()])
    assert outcome.accepted == ()
    assert outcome.receipts == ()
    assert len(outcome.refusals) == 1
    assert "never enters the inbox" in outcome.refusals[0]
    assert _serials(pair) == []
    # The line's first real message still takes serial 1.
    [one] = _envelopes(pair, 1)
    assert [r.serial for r in _accept(pair, [one]).accepted] == [1]
