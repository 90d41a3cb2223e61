"""``hotline peer confirm`` and ``hotline peer remove`` through real processes (issue 18).

A confirmation is checked against the card (a mismatch records nothing),
signed, journalled and shown by ``peer list``; a removal keeps the records,
drops the line, refuses the removed peer's sessions with a log line naming it,
refuses sending to it, and is undone only by ``peer add --readd``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hotline.crypto import b64url_decode
from hotline.store import PeerConfirmation, SQLiteStore
from hotline.terminal.config.trust import verify_confirmation
from tests.cli.helpers import TerminalProcess, hotline, wait_for


def _peer(directory: Path, party: str) -> dict[str, Any]:
    peers: list[dict[str, Any]] = json.loads(hotline("peer", "list", directory, "--json").stdout)
    return next(peer for peer in peers if peer["party"] == party)


def _journal_kinds(directory: Path) -> list[str]:
    store = SQLiteStore.open(directory / "hotline.db")
    try:
        return [entry.kind for entry in store.iter_journal()]
    finally:
        store.close()


def test_confirm_checks_the_digits_signs_and_journals(
    pair: tuple[TerminalProcess, TerminalProcess],
) -> None:
    washington, _moscow = pair
    directory = washington.directory
    assert "not confirmed" in hotline("peer", "list", directory).stdout
    fingerprint = str(_peer(directory, "Moscow")["fingerprint"])
    wrong = ("1" if fingerprint[0] != "1" else "2") + fingerprint[1:]
    refused = hotline(
        "peer", "confirm", directory, "Moscow", "--fingerprint", wrong,
        "--method", "phone", "--by", "Duty officer Kim", check=False,
    )  # fmt: skip
    assert refused.returncode == 1
    assert "does not match Moscow's card" in refused.stderr
    assert _peer(directory, "Moscow")["confirmations"] == []
    # Written down in another grouping, as people do: the digits are what count.
    out = hotline(
        "peer", "confirm", directory, "Moscow", "--fingerprint", fingerprint.replace(" ", "-"),
        "--method", "phone", "--by", "Duty officer Kim",
    ).stdout  # fmt: skip
    assert f"confirmed Moscow: fingerprint {fingerprint}" in out
    listed = hotline("peer", "list", directory).stdout
    assert "confirmed by Duty officer Kim (phone)" in listed
    (confirmation,) = _peer(directory, "Moscow")["confirmations"]
    assert confirmation["method"] == "phone"
    card = json.loads(hotline("card", directory).stdout)
    verify_confirmation(
        PeerConfirmation(
            party="Moscow",
            fingerprint=confirmation["fingerprint"],
            method="phone",
            confirmed_by=confirmation["by"],
            confirmed_at=confirmation["at"],
            signature=bytes.fromhex(confirmation["signature"]),
        ),
        b64url_decode(card["signing_key"]),
    )
    assert "peer confirmed" in _journal_kinds(directory)
    # While running, the same goes through the daemon.
    washington.start()
    hotline(
        "peer", "confirm", directory, "Moscow", "--fingerprint", fingerprint,
        "--method", "in-person", "--by", "Second shift",
    )  # fmt: skip
    assert "confirmed by Second shift (in-person)" in hotline("peer", "list", directory).stdout
    washington.stop()
    assert hotline("verify", directory).returncode == 0


def test_remove_refuses_the_line_until_readd(
    pair: tuple[TerminalProcess, TerminalProcess],
) -> None:
    terminals = {terminal.directory.name: terminal for terminal in pair}
    cards = {name: hotline("card", t.directory).stdout for name, t in terminals.items()}
    keys = {name: b64url_decode(json.loads(card)["signing_key"]) for name, card in cards.items()}
    # The side with the smaller key dials (core/line.py): remove the dialer, so
    # that its attempts reach the side that removed it and are refused there.
    dialer = min(keys, key=lambda name: keys[name])
    remover = next(name for name in keys if name != dialer)
    dialer_party = json.loads(cards[dialer])["party"]
    remover_dir = terminals[remover].directory
    for terminal in pair:
        terminal.start()
    hotline("send", remover_dir, "--to", dialer_party, "before removal")
    wait_for(
        lambda: "before removal" in hotline("messages", terminals[dialer].directory).stdout,
        what="the first message",
    )
    out = hotline("peer", "remove", remover_dir, dialer_party).stdout
    assert f"removed {dialer_party} at " in out
    refused = hotline("send", remover_dir, "--to", dialer_party, "after removal", check=False)
    assert refused.returncode == 1
    assert f"{dialer_party} was removed on " in refused.stderr
    # Its sessions are refused at the handshake, with the reason in the log.
    wait_for(
        lambda: (
            f"{dialer_party} was removed on"
            in (remover_dir / "terminal.log").read_text(encoding="utf-8")
        ),
        what="the refusal in the log",
    )
    status = json.loads(hotline("status", remover_dir, "--json").stdout)
    assert dialer_party not in [peer["party"] for peer in status["peers"]]
    # The records stay.
    assert "before removal" in hotline("messages", remover_dir).stdout
    assert "REMOVED on " in hotline("peer", "list", remover_dir).stdout
    again = hotline("peer", "add", remover_dir, "-", stdin=cards[dialer], check=False)
    assert again.returncode == 1
    assert "--readd" in again.stderr
    terminals[remover].stop()
    assert "peer removed" in _journal_kinds(remover_dir)
    assert hotline("verify", remover_dir).returncode == 0
    # A restart keeps the removal.
    terminals[remover].start()
    refused = hotline("send", remover_dir, "--to", dialer_party, "after restart", check=False)
    assert f"{dialer_party} was removed on " in refused.stderr
    hotline("peer", "add", remover_dir, "--readd", "-", stdin=cards[dialer])
    hotline("send", remover_dir, "--to", dialer_party, "after readd")
    wait_for(
        lambda: "after readd" in hotline("messages", terminals[dialer].directory).stdout,
        what="a message after the re-add",
    )
