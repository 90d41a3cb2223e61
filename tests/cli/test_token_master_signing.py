"""The master AND the signing key in one PKCS#11 token (SoftHSM2), through real processes.

Washington is made with ``--master-in-token --signing-in-token``: both keys
are generated in a token of the test's own and never leave it (two tiers: the
token's master certifies the token's signing key, and the encryption and TLS
keys in software). The pair links and delivers both ways; the TLS key
rotates (certified by the token master) and a restart serves it; ``verify``
holds on both sides (the signing key's rotation: test_token_signing_rotation.py). Skipped without SoftHSM2 and python-pkcs11, unless CI or
HOTLINE_REQUIRE_PKCS11 asks for these tests.
"""

from __future__ import annotations

import json
from pathlib import Path

from hotline.testing.softhsm import SoftToken
from tests.cli.helpers import (
    TerminalProcess,
    hotline,
    init_in_token,
    init_unprotected,
    receipted,
    wait_for,
)


def _keys(directory: Path) -> list[tuple[str, int, str]]:
    listed = json.loads(hotline("key", "list", directory, "--json").stdout)
    return [(k["kind"], k["serial"], k["state"]) for k in listed["keys"]]


def test_the_master_and_the_signing_key_both_in_a_token(tmp_path: Path, token: SoftToken) -> None:
    w_dir, m_dir = tmp_path / "washington", tmp_path / "moscow"
    out = init_in_token(w_dir, token, "--master-in-token", "--signing-in-token").stdout
    assert f"master key in token {token.label} (key 'Washington master')" in out
    assert f"signing key in token {token.label} (key 'Washington')" in out
    assert "two tiers" in out
    keys = w_dir / "keys"
    assert (keys / "master.token").exists()
    assert not (keys / "master.key").exists()
    assert not (keys / "signing.key").exists()
    listed = json.loads(hotline("key", "list", w_dir, "--json").stdout)
    assert listed["master_in"] == f"token {token.label}"
    assert _keys(w_dir) == [
        ("signing", 1, "current"),
        ("encryption", 1, "current"),
        ("tls", 1, "current"),
    ]
    init_unprotected(m_dir, "Moscow")
    # The signing key signs what the terminal opens with: its PIN is needed here.
    pin_env = {**token.env, "HOTLINE_PKCS11_PIN_FILE": str(token.pin_file)}
    w_card = hotline("card", w_dir, env=pin_env).stdout
    assert json.loads(w_card)["hotline_card"] == 2
    hotline("peer", "add", w_dir, "-", stdin=hotline("card", m_dir).stdout, env=pin_env)
    hotline("peer", "add", m_dir, "-", stdin=w_card)
    washington = TerminalProcess(w_dir, run_args=("--pin-file", token.pin_file), env=token.env)
    moscow = TerminalProcess(m_dir)
    try:
        washington.start()
        moscow.start()
        hotline("send", w_dir, "--to", "Moscow", "from the token")
        hotline("send", m_dir, "--to", "Washington", "to the token")
        wait_for(lambda: receipted(w_dir, "from the token", pin_env), what="receipt 1")
        wait_for(lambda: receipted(m_dir, "to the token", {}), what="receipt 2")

        rotated = hotline("key", "rotate", w_dir, "--which", "tls").stdout
        assert "rotated the tls key" in rotated
        assert ("tls", 2, "current") in _keys(w_dir)
        # A restart serves the new leaf the token master issued; the token's
        # signing key signs on, under its two sessions of one login.
        washington.stop()
        washington.start()
        hotline("send", w_dir, "--to", "Moscow", "after the rotation")
        hotline("send", m_dir, "--to", "Washington", "answered after")
        wait_for(lambda: receipted(w_dir, "after the rotation", pin_env), what="receipt 3")
        wait_for(lambda: receipted(m_dir, "answered after", {}), what="receipt 4")
    finally:
        washington.stop()
        moscow.stop()
    assert "all hold" in hotline("verify", w_dir, env=pin_env).stdout
    assert "all hold" in hotline("verify", m_dir).stdout


def test_signing_in_token_needs_master_in_token(tmp_path: Path, token: SoftToken) -> None:
    refused = init_in_token(tmp_path / "w", token, "--signing-in-token", check=False)
    assert refused.returncode == 1
    assert "--signing-in-token goes with --master-in-token" in refused.stderr
    assert not (tmp_path / "w").exists()
