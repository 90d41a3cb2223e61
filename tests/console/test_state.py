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
    # The terminal's own timers may journal meanwhile (route changes, line states):
    # the console's entry is the login, wherever it landed.
    logins = [entry for entry in entries if entry.kind == "console login"]
    assert [entry.data for entry in logins] == [{"name": "wash-op"}]
