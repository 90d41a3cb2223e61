"""A signing key held in a PKCS#11 token (SoftHSM2) rotates, through real processes.

Washington is made with ``--master-in-token --signing-in-token``. While
messages flow both ways it rotates its signing key: the new key is generated
in the token under a label of its own (never leaving it), certified by the
token master, announced under the old key, and switched to once Moscow has
receipted the key event. Moscow accepts what the new key signs; every message
arrives once and in order; ``hotline key list`` names both token keys (the
old one kept, not destroyed); a restart signs with the new token key; and
``verify`` holds on both sides. Skipped without SoftHSM2 and python-pkcs11,
unless CI or HOTLINE_REQUIRE_PKCS11 asks for these tests.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hotline.crypto import Envelope, KeyCertificate
from hotline.store import Direction
from hotline.terminal import ControlClient, open_terminal
from hotline.testing.softhsm import SoftToken
from tests.cli.helpers import (
    TerminalProcess,
    hotline,
    init_in_token,
    init_unprotected,
    wait_for,
)

COUNT = 40


def _texts(directory: Path, direction: str, env: dict[str, str]) -> list[str]:
    rows: list[dict[str, Any]] = json.loads(
        hotline("messages", directory, "--json", "--limit", "10000", env=env).stdout
    )
    # ``messages`` lists the newest first.
    return [r["text"] for r in rows if r["kind"] == "text" and r["direction"] == direction][::-1]


def _signing_keys(directory: Path) -> list[dict[str, Any]]:
    listed = json.loads(hotline("key", "list", directory, "--json").stdout)
    return [k for k in listed["keys"] if k["kind"] == "signing"]


def _switched(directory: Path) -> bool:
    return [k["state"] for k in _signing_keys(directory)] == ["superseded", "current"]


def _signers_seen_by_moscow(m_dir: Path) -> tuple[list[bytes | None], bytes]:
    """The ``"sk"`` of each envelope Moscow took from Washington, and Washington's new key."""
    files = open_terminal(m_dir)
    try:
        received = files.store.list_messages(peer="Washington", direction=Direction.IN)
        [kept] = files.store.peer_key_certificates("Washington")
    finally:
        files.store.close()
    assert (kept.kind, kept.serial) == ("signing", 2)
    ordered = sorted(received, key=lambda m: m.serial)
    new_key = KeyCertificate.decode(kept.certificate).public_key
    return [Envelope.decode(m.envelope).header.signer for m in ordered], new_key


def _pair(
    tmp_path: Path, token: SoftToken
) -> tuple[TerminalProcess, TerminalProcess, dict[str, str]]:
    """Washington with both keys in the token, Moscow in software, each the other's peer;
    and the environment a command opening Washington's keys needs (its PIN file)."""
    w_dir, m_dir = tmp_path / "washington", tmp_path / "moscow"
    init_in_token(w_dir, token, "--master-in-token", "--signing-in-token")
    init_unprotected(m_dir, "Moscow")
    pin_env = {**token.env, "HOTLINE_PKCS11_PIN_FILE": str(token.pin_file)}
    w_card = hotline("card", w_dir, env=pin_env).stdout
    hotline("peer", "add", w_dir, "-", stdin=hotline("card", m_dir).stdout, env=pin_env)
    hotline("peer", "add", m_dir, "-", stdin=w_card)
    washington = TerminalProcess(w_dir, run_args=("--pin-file", token.pin_file), env=token.env)
    return washington, TerminalProcess(m_dir), pin_env


def test_a_signing_key_in_a_token_rotates_while_messages_flow(
    tmp_path: Path, token: SoftToken
) -> None:
    washington, moscow, pin_env = _pair(tmp_path, token)
    w_dir, m_dir = washington.directory, moscow.directory
    try:
        washington.start()
        moscow.start()
        with (
            ControlClient(w_dir) as to_moscow,
            ControlClient(m_dir) as to_washington,
        ):
            for index in range(COUNT):
                last_w = to_moscow.send(to="Moscow", text=f"Washington {index}")
                last_m = to_washington.send(to="Washington", text=f"Moscow {index}")
                if index == COUNT // 3:
                    out = hotline("key", "rotate", w_dir, "--which", "signing").stdout
                    assert "announced to Moscow" in out
            for client, last in ((to_moscow, last_w), (to_washington, last_m)):
                assert client.wait_delivered(str(last["id"]), timeout=120)["state"] == "delivered"
        wait_for(lambda: _switched(w_dir), within=60, what="Washington's switch")
        with ControlClient(w_dir) as client:
            after = client.send(to="Moscow", text="after the switch")
            assert client.wait_delivered(str(after["id"]))["state"] == "delivered"
        # The new key never left the token: a reference names it, no key file.
        keys = w_dir / "keys"
        assert not (keys / "signing.key").exists()
        current = json.loads((keys / "signing.token").read_bytes())
        assert current["token_label"] == token.label
        assert current["key_label"].startswith("Washington signing 2 ")
        retired = json.loads((keys / "signing-1.token").read_bytes())
        assert retired["key_label"] == "Washington"  # kept in the token, not destroyed
        listed = _signing_keys(w_dir)
        assert [k["in"] for k in listed] == [
            f"token {token.label} (key 'Washington')",
            f"token {token.label} (key {current['key_label']!r})",
        ]
        assert f"in token {token.label} (key 'Washington')" in hotline("key", "list", w_dir).stdout

        # A restart signs with the new token key (keys/signing.token over hotline.toml).
        washington.stop()
        washington.start()
        with ControlClient(w_dir) as client:
            late = client.send(to="Moscow", text="after the restart")
            assert client.wait_delivered(str(late["id"]))["state"] == "delivered"
        with ControlClient(m_dir) as client:
            answer = client.send(to="Washington", text="answered after the restart")
            assert client.wait_delivered(str(answer["id"]))["state"] == "delivered"
        from_washington = [f"Washington {i}" for i in range(COUNT)]
        from_washington += ["after the switch", "after the restart"]
        from_moscow = [f"Moscow {i}" for i in range(COUNT)] + ["answered after the restart"]
        # Every message once and in order, both ways.
        assert _texts(w_dir, "out", pin_env) == from_washington
        assert _texts(m_dir, "in", {}) == from_washington
        assert _texts(m_dir, "out", {}) == from_moscow
        assert _texts(w_dir, "in", pin_env) == from_moscow
    finally:
        washington.stop()
        moscow.stop()
    # Moscow accepted what the new token key signed: the old key (no "sk") up to
    # the switch, the new one after it, the restart's message too.
    signers, new_key = _signers_seen_by_moscow(m_dir)
    assert signers[0] is None
    first_new = signers.index(new_key)
    assert all(s is None for s in signers[:first_new])
    assert all(s == new_key for s in signers[first_new:])
    assert signers[-1] == new_key
    assert "all hold" in hotline("verify", w_dir, env=pin_env).stdout
    assert "all hold" in hotline("verify", m_dir).stdout


def test_a_token_key_staged_before_a_stop_is_switched_to_after_the_start(
    tmp_path: Path, token: SoftToken
) -> None:
    """Rotated while the peer is away, stopped before the switch: the start reopens the
    staged key in the token (no key file, no PIN beyond the one the start takes) and
    switches once the peer has receipted the key event."""
    washington, moscow, pin_env = _pair(tmp_path, token)
    w_dir, m_dir = washington.directory, moscow.directory
    try:
        washington.start()
        hotline("key", "rotate", w_dir, "--which", "signing")
        assert [k["state"] for k in _signing_keys(w_dir)] == ["current", "staged"]
        assert (w_dir / "keys" / ".rotation" / "signing.token").exists()
        washington.stop()
        washington.start()
        moscow.start()
        wait_for(lambda: _switched(w_dir), within=60, what="Washington's switch")
        with ControlClient(w_dir) as client:
            sent = client.send(to="Moscow", text="on the staged key")
            assert client.wait_delivered(str(sent["id"]))["state"] == "delivered"
    finally:
        washington.stop()
        moscow.stop()
    signers, new_key = _signers_seen_by_moscow(m_dir)
    assert signers[-1] == new_key
    assert not (w_dir / "keys" / ".rotation").exists()
    assert "all hold" in hotline("verify", w_dir, env=pin_env).stdout
