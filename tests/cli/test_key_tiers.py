"""Two tiers of keys through real processes: a master certifies the operational keys.

``hotline init`` makes a master key, the card is version 2, the fingerprint is
the master's, TLS is a leaf the master issues, and messages, receipts and
``hotline verify`` hold as before, also with a single-tier peer (a terminal
made before two tiers, or with ``--single-tier``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hotline.crypto import PeerCard, certificate_public_key, master_fingerprint
from hotline.terminal import ControlClient

from .helpers import TerminalProcess, hotline, make_mesh


def _pair(root: Path, *, single_tier: tuple[str, ...] = ()) -> dict[str, TerminalProcess]:
    return make_mesh(
        root,
        ("Washington", "Moscow"),
        init_args={party: ["--single-tier"] for party in single_tier},
    )


def _exchange(terminals: dict[str, TerminalProcess], count: int) -> None:
    """``count`` messages each way, each delivered (receipted) before the next."""
    for index in range(count):
        for sender, recipient in (("Washington", "Moscow"), ("Moscow", "Washington")):
            with ControlClient(terminals[sender].directory) as client:
                sent = client.send(to=recipient, text=f"{sender} {index}")
                assert client.wait_delivered(str(sent["id"]))["state"] == "delivered"


def _texts(terminal: TerminalProcess, direction: str) -> list[str]:
    rows: list[dict[str, Any]] = json.loads(
        hotline("messages", terminal.directory, "--json").stdout
    )
    # ``messages`` lists the newest first.
    return [r["text"] for r in rows if r["kind"] == "text" and r["direction"] == direction][::-1]


def test_two_tier_terminals_exchange_and_verify(tmp_path: Path) -> None:
    terminals = _pair(tmp_path)
    washington, moscow = terminals["Washington"], terminals["Moscow"]
    card = PeerCard.from_json(hotline("card", washington.directory).stdout)
    assert card.version == 2
    assert card.master_key is not None
    assert card.fingerprint == master_fingerprint(party="Washington", master_key=card.master_key)
    # The card's certificate is the master's; TLS serves a leaf it issued for the TLS key.
    assert certificate_public_key(card.certificate) == card.master_key
    tls = card.key_certificate("tls")
    assert tls is not None
    listed = json.loads(hotline("key", "list", washington.directory, "--json").stdout)
    assert listed["tiers"] == 2
    assert listed["fingerprint"] == card.fingerprint
    assert [(k["kind"], k["serial"], k["state"]) for k in listed["keys"]] == [
        ("signing", 1, "current"),
        ("encryption", 1, "current"),
        ("tls", 1, "current"),
    ]
    assert tls.key_id in hotline("key", "list", washington.directory).stdout
    peers = hotline("peer", "list", moscow.directory).stdout
    assert card.fingerprint in peers
    try:
        washington.start()
        moscow.start()
        _exchange(terminals, 3)
        expected = [f"Washington {i}" for i in range(3)]
        assert _texts(washington, "out") == expected
        assert _texts(moscow, "in") == expected
        assert _texts(moscow, "out") == [f"Moscow {i}" for i in range(3)]
    finally:
        washington.stop()
        moscow.stop()
    for terminal in (washington, moscow):
        assert "all hold" in hotline("verify", terminal.directory).stdout


def test_a_single_tier_peer_and_a_two_tier_peer_talk(tmp_path: Path) -> None:
    terminals = _pair(tmp_path, single_tier=("Moscow",))
    washington, moscow = terminals["Washington"], terminals["Moscow"]
    single = PeerCard.from_json(hotline("card", moscow.directory).stdout)
    assert single.version == 1
    assert single.master_key is None
    assert json.loads(hotline("key", "list", moscow.directory, "--json").stdout)["tiers"] == 1
    assert "single-tier" in hotline("key", "list", moscow.directory).stdout
    try:
        washington.start()
        moscow.start()
        _exchange(terminals, 2)
        assert _texts(moscow, "in") == ["Washington 0", "Washington 1"]
        assert _texts(washington, "in") == ["Moscow 0", "Moscow 1"]
    finally:
        washington.stop()
        moscow.stop()
    for terminal in (washington, moscow):
        assert "all hold" in hotline("verify", terminal.directory).stdout


def test_a_deleted_tls_directory_gets_a_new_certified_tls_key(tmp_path: Path) -> None:
    terminals = _pair(tmp_path)
    washington = terminals["Washington"]
    before = json.loads(hotline("key", "list", washington.directory, "--json").stdout)
    for name in ("cert.pem", "key.pem"):
        (washington.directory / "tls" / name).unlink()
    fingerprint = before["fingerprint"]
    card = PeerCard.from_json(hotline("card", washington.directory).stdout)
    after = json.loads(hotline("key", "list", washington.directory, "--json").stdout)
    assert card.fingerprint == fingerprint
    assert [(k["kind"], k["serial"], k["state"]) for k in after["keys"]][-2:] == [
        ("tls", 1, "superseded"),
        ("tls", 2, "current"),
    ]
    tls = card.key_certificate("tls")
    assert tls is not None
    assert tls.serial == 2
    # The peer still pins the master's certificate: the line comes up on the new TLS key.
    moscow = terminals["Moscow"]
    try:
        washington.start()
        moscow.start()
        _exchange(terminals, 1)
    finally:
        washington.stop()
        moscow.stop()
