"""A console's state: built per app, with the party's fingerprint and the terminal's journal."""

from __future__ import annotations

from hotline.console import build_state
from hotline.crypto import PeerCard
from hotline.testing import FakeClock

from .conftest import Pair


def test_the_state_holds_the_cards_fingerprint(pair: Pair) -> None:
    terminal = pair.washington.terminal
    state = pair.portal.call(build_state, terminal)
    assert state.fingerprint == PeerCard.from_json(terminal.card_json()).fingerprint
    assert state.clock is terminal.clock
    clock = FakeClock()
    assert pair.portal.call(lambda: build_state(terminal, clock=clock)).clock is clock


def test_the_state_journals_into_the_terminals_journal(pair: Pair) -> None:
    terminal = pair.washington.terminal
    state = pair.washington.state
    pair.portal.call(state.journal, "console login", {"name": "wash-op"})
    entries = pair.portal.call(lambda: list(terminal.store.iter_journal()))
    assert entries[-1].kind == "console login"
    assert entries[-1].data == {"name": "wash-op"}
