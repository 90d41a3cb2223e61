"""Link tests, the pure parts: the schedule, and making, answering and checking TEST envelopes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.crypto import Envelope, Receipt
from hotline.errors import CryptoError, EnvelopeInvalid, WrongSigner
from hotline.store import PeerRecord
from hotline.terminal import open_terminal
from hotline.terminal.config import TerminalFiles
from hotline.terminal.linktest import LinkTestDesk, next_slot, rotation, slot_parity
from hotline.testing import FakeClock
from tests.terminal.helpers import make_pair


@given(
    st.floats(min_value=0, max_value=4e9, allow_nan=False),
    st.sampled_from([1.0, 2.5, 60.0, 3600.0]),
    st.sampled_from([0, 1]),
)
def test_next_slot_is_the_first_of_our_parity_after_now(
    now: float, interval: float, parity: int
) -> None:
    slot = next_slot(now, interval, parity=parity)
    assert slot * interval > now
    assert slot % 2 == parity
    # It is the first such slot: the one of our parity before it has started already.
    assert (slot - 2) * interval <= now


def test_hourly_slots_are_clock_hours_and_the_two_sides_alternate() -> None:
    low, high = bytes(32), b"\xff" * 32
    assert slot_parity(low, high) == 0
    assert slot_parity(high, low) == 1
    at_1530 = 1_795_447_800.0  # 2026-11-23T15:30:00Z
    assert at_1530 % 3600 == 1800
    even_hour = next_slot(at_1530, 3600, parity=0)
    odd_hour = next_slot(at_1530, 3600, parity=1)
    assert {even_hour - odd_hour} <= {1, -1}
    assert {even_hour * 3600 - at_1530, odd_hour * 3600 - at_1530} == {1800.0, 5400.0}


@dataclass
class Desks:
    washington: LinkTestDesk
    moscow: LinkTestDesk
    w_files: TerminalFiles
    m_files: TerminalFiles
    moscow_peer: PeerRecord  # Moscow as Washington knows it
    washington_peer: PeerRecord


@pytest.fixture
def desks(tmp_path: Path) -> Iterator[Desks]:
    w_dir, m_dir = make_pair(tmp_path)
    w_files, m_files = open_terminal(w_dir), open_terminal(m_dir)
    clock = FakeClock()
    moscow_peer = w_files.store.get_peer("Moscow")
    washington_peer = m_files.store.get_peer("Washington")
    assert moscow_peer is not None
    assert washington_peer is not None
    yield Desks(
        washington=LinkTestDesk(
            store=w_files.store, identity=w_files.identity, clock=clock, language="en"
        ),
        moscow=LinkTestDesk(
            store=m_files.store, identity=m_files.identity, clock=clock, language="ru"
        ),
        w_files=w_files,
        m_files=m_files,
        moscow_peer=moscow_peer,
        washington_peer=washington_peer,
    )
    w_files.store.close()
    m_files.store.close()


def kinds(files: TerminalFiles) -> list[str]:
    return [entry.kind for entry in files.store.iter_journal()]


def test_a_test_travels_answered_and_checked(desks: Desks) -> None:
    test = desks.washington.make_test(
        peer=desks.moscow_peer, route="10.0.1.2:7000", slot=8, number=3
    )
    header = test.envelope.header
    assert (header.kind, header.channel, header.serial) == ("test", "line", 1)
    assert test.text == rotation("en")[3]
    assert kinds(desks.w_files)[-1] == "link test sent"
    raw_receipt, sent_on = desks.moscow.answer(
        peer=desks.washington_peer, route="10.0.1.2:7000", raw=test.envelope.encode()
    )
    assert sent_on == "10.0.1.2:7000"
    [received] = [e for e in desks.m_files.store.iter_journal() if e.kind == "link test received"]
    assert received.data["id"] == test.id
    assert received.data["slot"] == 8
    receipt = desks.washington.check_receipt(test=test, peer=desks.moscow_peer, raw=raw_receipt)
    # The receipt's journal head covers Moscow's "link test received" entry.
    assert receipt.journal_head == desks.m_files.store.journal_head()
    result = desks.washington.finish(test=test, receipt=receipt, round_trip=0.004, reason=None)
    assert result.ok
    assert result.to_json()["rtt_ms"] == 4.0
    [passed] = [e for e in desks.w_files.store.iter_journal() if e.kind == "link test passed"]
    assert passed.data["round_trip_us"] == 4000
    assert passed.data["receipt_signature"] == receipt.signature.hex()


def test_a_missed_test_is_journaled_with_its_reason(desks: Desks) -> None:
    test = desks.washington.make_test(peer=desks.moscow_peer, route="r1:1", slot=2, number=0)
    result = desks.washington.finish(test=test, receipt=None, round_trip=60.0, reason="no receipt")
    assert not result.ok
    assert result.round_trip is None
    [missed] = [e for e in desks.w_files.store.iter_journal() if e.kind == "link test missed"]
    assert missed.data["reason"] == "no receipt"


def test_the_receiver_refuses_what_is_not_a_test_from_its_peer(desks: Desks) -> None:
    test = desks.washington.make_test(peer=desks.moscow_peer, route="r1:1", slot=2, number=0)
    # Washington cannot answer its own test: it is not addressed to Washington.
    with pytest.raises(WrongSigner):
        desks.washington.answer(peer=desks.moscow_peer, route="r1:1", raw=test.envelope.encode())
    # A flipped bit anywhere: refused, nothing journaled as received.
    raw = bytearray(test.envelope.encode())
    raw[-5] ^= 1
    with pytest.raises(CryptoError):
        desks.moscow.answer(peer=desks.washington_peer, route="r1:1", raw=bytes(raw))
    with pytest.raises(CryptoError):
        desks.moscow.answer(peer=desks.washington_peer, route="r1:1", raw=b"\xa0")
    assert "link test received" not in kinds(desks.m_files)


def test_an_ordinary_message_envelope_is_not_a_test(desks: Desks) -> None:
    from hotline.terminal.core import Outbox

    outbox = Outbox(store=desks.w_files.store, identity=desks.w_files.identity, clock=FakeClock())
    message = outbox.queue(peer=desks.moscow_peer, text="not a test")
    with pytest.raises(EnvelopeInvalid, match="kind 'test'"):
        desks.moscow.answer(peer=desks.washington_peer, route="r1:1", raw=message.envelope)


def test_a_receipt_for_another_test_does_not_pass(desks: Desks) -> None:
    first = desks.washington.make_test(peer=desks.moscow_peer, route="r1:1", slot=2, number=0)
    second = desks.washington.make_test(peer=desks.moscow_peer, route="r2:1", slot=2, number=1)
    raw, _ = desks.moscow.answer(
        peer=desks.washington_peer, route="r1:1", raw=first.envelope.encode()
    )
    with pytest.raises(CryptoError):
        desks.washington.check_receipt(test=second, peer=desks.moscow_peer, raw=raw)
    assert Receipt.decode(raw).message_id == first.id
    assert Envelope.decode(first.envelope.encode()).header.message_id == first.id
