"""The line view shows each peer's fingerprint check (or its absence), removals, unprotected keys."""

from __future__ import annotations

import re

from .conftest import ConsoleClient, Pair


def _row(html: str, party: str) -> str:
    found = re.search(rf'<tr data-testid="trust-row" data-party="{party}".*?</tr>', html, re.S)
    assert found is not None, html
    return found.group(0)


def test_the_line_view_flags_an_unconfirmed_peer_then_shows_who_confirmed(
    wash: ConsoleClient,
) -> None:
    html = wash.get("/").text
    row = _row(html, "Moscow")
    assert 'data-confirmed="false"' in row
    assert "not confirmed" in row
    # The test terminals are made with raw keys, as --unprotected-keys makes them.
    assert 'data-testid="keys-unprotected"' in html
    terminal = wash.terminal
    wash.on_loop(
        lambda: terminal.confirm_peer(
            "Moscow",
            fingerprint=terminal.lines["Moscow"].peer.fingerprint,
            method="video",
            confirmed_by="Night desk",
        )
    )
    row = _row(wash.get("/").text, "Moscow")
    assert 'data-confirmed="true"' in row
    assert "confirmed by Night desk (video) at " in row


def test_the_line_view_shows_a_removed_peer_in_russian(pair: Pair) -> None:
    console = pair.moscow
    console.login_as("mos-principal")
    console.on_loop(lambda: console.terminal.remove_peer("Washington"))
    row = _row(console.get("/").text, "Washington")
    assert "удалён " in row


def test_the_line_view_shows_a_peer_blocked_by_a_master_change_in_russian(pair: Pair) -> None:
    pair.wait_line_up()
    washington = pair.washington.terminal
    change = pair.washington.on_loop(lambda: washington.change_master(passphrase=None))
    moscow = pair.moscow
    pair.wait_until(lambda: "Washington" in moscow.terminal.blocked, what="Moscow blocks")
    moscow.login_as("mos-principal")
    row = _row(moscow.get("/").text, "Washington")
    assert 'data-blocked="true"' in row
    assert "заблокирована: мастер-ключ сменён, отпечаток не подтверждён" in row
    assert change.fingerprint in row
