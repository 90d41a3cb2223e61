"""The MASTER key in a PKCS#11 token (SoftHSM2), through real processes (issue 18, docs/keys.md §6).

Washington is made with ``--master-in-token``: a two-tier terminal whose
master key is generated in a token of the test's own and never leaves it,
its operational keys in software, certified by it. The pair links and
delivers both ways; Washington rotates its TLS and signing keys (the token
master signs the new certificates and leaf), restarts on them, and Moscow
accepts them;
``verify`` holds on both sides. ``key list`` needs no PIN; a
wrong PIN refuses to start, in one line. ``hotline card`` needs no PIN either:
the card the master last signed is kept, and refused once stale. Skipped without SoftHSM2 and
python-pkcs11, unless CI or HOTLINE_REQUIRE_PKCS11 asks for these tests.
"""

from __future__ import annotations

import json
from pathlib import Path

from hotline.testing.softhsm import SoftToken
from tests.cli.helpers import (
    TerminalProcess,
    free_port,
    hotline,
    init_in_token,
    init_unprotected,
    receipted,
    wait_for,
)

BLOCKED = "blocked: master key changed, fingerprint not confirmed"


def _tls_keys(directory: Path) -> list[tuple[int, str]]:
    listed = json.loads(hotline("key", "list", directory, "--json").stdout)
    return [(k["serial"], k["state"]) for k in listed["keys"] if k["kind"] == "tls"]


def test_a_token_master_links_rotates_its_keys_and_verify_holds(
    tmp_path: Path, token: SoftToken
) -> None:
    washington_dir, moscow_dir = tmp_path / "washington", tmp_path / "moscow"
    out = init_in_token(washington_dir, token, "--master-in-token").stdout
    assert f"master key in token {token.label} (key 'Washington master')" in out
    assert "two tiers" in out
    keys = washington_dir / "keys"
    assert not (keys / "master.key").exists()
    assert (keys / "master.token").exists()
    assert (keys / "signing.key").exists()  # the operational keys stay in software
    init_unprotected(moscow_dir, "Moscow")
    # Public data needs no PIN: no PIN source in these commands' environment.
    listed = hotline("key", "list", washington_dir).stdout
    assert f"(in token {token.label})" in listed
    assert json.loads(hotline("key", "list", washington_dir, "--json").stdout)["master_in"] == (
        f"token {token.label}"
    )
    assert json.loads(hotline("key", "list", moscow_dir, "--json").stdout)["master_in"] == (
        "software"
    )
    # The card is signed by the master; the one it signed at init is kept and served
    # as it is, with no PIN (keys/card.json).
    w_card = hotline("card", washington_dir, env=token.env).stdout
    assert json.loads(w_card)["master_key"]
    assert (keys / "card.json").exists()
    hotline("peer", "add", washington_dir, "-", stdin=hotline("card", moscow_dir).stdout)
    hotline("peer", "add", moscow_dir, "-", stdin=w_card)
    washington = TerminalProcess(
        washington_dir, run_args=("--pin-file", token.pin_file), env=token.env
    )
    moscow = TerminalProcess(moscow_dir)
    try:
        washington.start()
        moscow.start()
        hotline("send", washington_dir, "--to", "Moscow", "before the rotation")
        hotline("send", moscow_dir, "--to", "Washington", "answered before")
        wait_for(lambda: receipted(washington_dir, "before the rotation"), what="receipt 1")
        wait_for(lambda: receipted(moscow_dir, "answered before"), what="receipt 2")
        rotated = hotline("key", "rotate", washington_dir, "--which", "tls").stdout
        assert "rotated the tls key" in rotated
        assert _tls_keys(washington_dir) == [(1, "superseded"), (2, "current")]
        # The signing key too: the token master certifies it, Moscow takes the key event.
        signed = hotline("key", "rotate", washington_dir, "--which", "signing").stdout
        assert "rotated the signing key" in signed
        refused = hotline("key", "change-master", washington_dir, check=False)
        assert refused.returncode != 0
        assert "master key is in a PKCS#11 token" in refused.stderr
        # A restart serves the new leaf the token master issued: Moscow must accept it.
        washington.stop()
        washington.start()
        hotline("send", washington_dir, "--to", "Moscow", "after the rotation")
        hotline("send", moscow_dir, "--to", "Washington", "answered after")
        wait_for(lambda: receipted(washington_dir, "after the rotation"), what="receipt 3")
        wait_for(lambda: receipted(moscow_dir, "answered after"), what="receipt 4")
    finally:
        washington.stop()
        moscow.stop()
    # The running terminal signed the card after each rotation: served without the PIN.
    rotated_card = json.loads(hotline("card", washington_dir, env=token.env).stdout)
    assert rotated_card["key_certificates"] != json.loads(w_card)["key_certificates"]
    assert "all hold" in hotline("verify", washington_dir).stdout
    assert "all hold" in hotline("verify", moscow_dir).stdout


def test_a_stale_kept_card_is_refused_without_the_pin(tmp_path: Path, token: SoftToken) -> None:
    directory = tmp_path / "washington"
    init_in_token(directory, token, "--master-in-token")
    kept = hotline("card", directory, env=token.env).stdout
    # The routes change while the terminal is stopped: the kept card no longer fits.
    config = directory / "hotline.toml"
    text = config.read_text()
    config.write_text(text.replace("partner_listen = []", 'partner_listen = ["127.0.0.1:9"]'))
    stale = hotline("card", directory, check=False, env=token.env)
    assert stale.returncode == 2, stale
    (line,) = stale.stderr.strip().splitlines()
    assert "keys/card.json is stale" in line
    assert "needs the master key's PIN" in line
    assert "hotline run signs the card at its start" in line
    # With the PIN the master signs a new one, kept in turn: then no PIN again.
    pin_env = {**token.env, "HOTLINE_PKCS11_PIN_FILE": str(token.pin_file)}
    fresh = hotline("card", directory, env=pin_env).stdout
    assert fresh != kept
    assert "127.0.0.1:9" in json.loads(fresh)["routes"]
    assert hotline("card", directory, env=token.env).stdout == fresh


def test_a_wrong_pin_refuses_to_start_a_token_master(tmp_path: Path, token: SoftToken) -> None:
    directory = tmp_path / "washington"
    init_in_token(directory, token, "--master-in-token")
    wrong = tmp_path / "wrong-pin"
    wrong.write_text("0000\n")
    refused = hotline("run", directory, "--pin-file", wrong, check=False, env=token.env)
    assert refused.returncode == 2, refused
    assert refused.stderr.strip().splitlines() == [
        f"hotline: error: the PIN of token {token.label!r} is wrong (from --pin-file {wrong})"
    ]
    missing = hotline("run", directory, check=False, stdin="", env=token.env)
    assert missing.returncode == 2
    (line,) = missing.stderr.strip().splitlines()
    assert "the master key is in a PKCS#11 token, and opening it needs its PIN" in line
    assert not (directory / "control.sock").exists()


def test_master_in_token_needs_a_token(tmp_path: Path) -> None:
    refused = hotline(
        "init",
        tmp_path / "w",
        "--party",
        "Washington",
        "--listen",
        f"127.0.0.1:{free_port()}",
        "--unprotected-keys",
        "--master-in-token",
        check=False,
    )
    assert refused.returncode == 1
    assert "--master-in-token needs --pkcs11-module and --token-label" in refused.stderr
    assert not (tmp_path / "w").exists()


def test_a_token_master_moves_to_software(tmp_path: Path, token: SoftToken) -> None:
    w_dir, m_dir = tmp_path / "washington", tmp_path / "moscow"
    init_in_token(w_dir, token, "--master-in-token")
    init_unprotected(m_dir, "Moscow")
    w_card = hotline("card", w_dir, env=token.env).stdout
    hotline("peer", "add", w_dir, "-", stdin=hotline("card", m_dir).stdout)
    hotline("peer", "add", m_dir, "-", stdin=w_card)
    washington = TerminalProcess(w_dir, run_args=("--pin-file", token.pin_file), env=token.env)
    moscow = TerminalProcess(m_dir)
    try:
        washington.start()
        moscow.start()
        hotline("send", w_dir, "--to", "Moscow", "--wait", "from the token master")
        refused = hotline("key", "change-master", w_dir, check=False)
        assert refused.returncode == 1
        assert "--to-software moves it out of the token" in refused.stderr
        changed = hotline("key", "change-master", w_dir, "--to-software").stdout
        assert "the old one is kept as keys/master-1.token" in changed
        fingerprint = changed.split("NEW fingerprint: ", 1)[1].splitlines()[0].strip()
        keys = w_dir / "keys"
        assert (keys / "master.key").exists()
        assert (keys / "master-1.token").exists()
        assert not (keys / "master.token").exists()
        listed = json.loads(hotline("key", "list", w_dir, "--json").stdout)
        assert listed["master_in"] == "software"
        assert listed["fingerprint"] == fingerprint
        wait_for(
            lambda: BLOCKED in hotline("peer", "list", m_dir).stdout,
            within=60,
            what="Moscow blocks the line",
        )
        hotline(
            "peer", "confirm", m_dir, "Washington", "--fingerprint", fingerprint,
            "--method", "in-person", "--by", "Duty officer",
        )  # fmt: skip
        hotline("send", m_dir, "--to", "Washington", "--wait", "to the software master")
        # The token is no longer needed: no PIN at the restart.
        washington.stop()
        washington = TerminalProcess(w_dir)
        washington.start()
        hotline("send", w_dir, "--to", "Moscow", "--wait", "from the software master")
        hotline("send", m_dir, "--to", "Washington", "--wait", "answered")
    finally:
        washington.stop()
        moscow.stop()
    for directory, peer in ((w_dir, "Moscow"), (m_dir, "Washington")):
        assert "all hold" in hotline("verify", directory).stdout
        bundle = tmp_path / f"{directory.name}.json"
        hotline("export", directory, "--peer", peer, "--output", bundle)
        assert "ALL HOLDS" in hotline("audit", bundle).stdout
