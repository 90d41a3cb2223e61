"""A signing key in a PKCS#11 token (SoftHSM2), through real processes (issue 18, docs/keys.md).

Washington's signing key is generated in a token of the test's own and never
leaves it; Moscow keeps a software key. The pair runs, messages go both ways
and are receipted, ``verify`` holds on both sides, and no ``signing.key``
exists in Washington's directory. A wrong PIN refuses to start, in one line.
Skipped without SoftHSM2 and python-pkcs11, unless CI or
HOTLINE_REQUIRE_PKCS11 asks for these tests.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline.testing.softhsm import SoftToken
from tests.cli.helpers import (
    TerminalProcess,
    hotline,
    init_in_token,
    init_unprotected,
    receipted,
    wait_for,
)


@pytest.fixture
def token_pair(
    tmp_path: Path, token: SoftToken
) -> Iterator[tuple[TerminalProcess, TerminalProcess]]:
    washington, moscow = tmp_path / "washington", tmp_path / "moscow"
    out = init_in_token(washington, token).stdout
    assert f"signing key in token {token.label}" in out
    init_unprotected(moscow, "Moscow")
    env = {**token.env, "HOTLINE_PKCS11_PIN_FILE": str(token.pin_file)}
    w_card = hotline("card", washington, env=env).stdout
    m_card = hotline("card", moscow).stdout
    hotline("peer", "add", washington, "-", stdin=m_card, env=env)
    hotline("peer", "add", moscow, "-", stdin=w_card)
    terminals = (
        TerminalProcess(washington, run_args=("--pin-file", token.pin_file), env=token.env),
        TerminalProcess(moscow),
    )
    yield terminals
    for terminal in terminals:
        terminal.stop()


def test_a_token_pair_delivers_both_ways_and_verify_holds(
    token_pair: tuple[TerminalProcess, TerminalProcess], token: SoftToken
) -> None:
    washington, moscow = token_pair
    settings = tomllib.loads((washington.directory / "hotline.toml").read_text())
    assert settings["keys"] == {
        "pkcs11_module": token.module,
        "token_label": token.label,
        "key_label": "Washington",
    }
    assert "1234" not in (washington.directory / "hotline.toml").read_text()  # no PIN
    assert not (washington.directory / "keys" / "signing.key").exists()
    assert (washington.directory / "keys" / "encryption.key").exists()
    washington.start()
    moscow.start()
    hotline("send", washington.directory, "--to", "Moscow", "signed in the token")
    hotline("send", moscow.directory, "--to", "Washington", "answered in software")
    env = {**token.env, "HOTLINE_PKCS11_PIN_FILE": str(token.pin_file)}
    wait_for(
        lambda: receipted(washington.directory, "signed in the token"),
        what="Moscow's receipt of the token-signed message",
    )
    wait_for(
        lambda: receipted(moscow.directory, "answered in software"),
        what="Washington's receipt, signed in the token",
    )
    status = hotline("status", washington.directory).stdout
    assert f"signing key in token {token.label}" in status
    assert json.loads(hotline("status", washington.directory, "--json").stdout)["signing_key"] == (
        f"token {token.label}"
    )
    assert "signing key in token" not in hotline("status", moscow.directory).stdout
    washington.stop()
    moscow.stop()
    hotline("verify", washington.directory, env=env)
    hotline("verify", moscow.directory)


def test_a_wrong_or_missing_pin_refuses_to_start_in_one_line(
    tmp_path: Path, token: SoftToken
) -> None:
    directory = tmp_path / "washington"
    init_in_token(directory, token)
    wrong = tmp_path / "wrong-pin"
    wrong.write_text("0000\n")
    refused = hotline("run", directory, "--pin-file", wrong, check=False, env=token.env)
    assert refused.returncode == 2, refused
    lines = refused.stderr.strip().splitlines()
    assert lines == [
        f"hotline: error: the PIN of token {token.label!r} is wrong (from --pin-file {wrong})"
    ]
    missing = hotline("run", directory, check=False, stdin="", env=token.env)
    assert missing.returncode == 2
    (line,) = missing.stderr.strip().splitlines()
    assert "needs its PIN" in line
    assert "$HOTLINE_PKCS11_PIN_FILE" in line
    assert not (directory / "control.sock").exists()
