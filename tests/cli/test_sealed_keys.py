"""Keys sealed under a passphrase, through real processes (issue 18, docs/keys.md).

A terminal initialised with ``--passphrase-file`` holds no private key in the
clear; it runs only with the passphrase (from the flag, from
``$HOTLINE_PASSPHRASE_FILE`` or from systemd's credential directory); a copy of
its directory without the passphrase cannot start; ``init`` refuses to guess
when no one is there to type a passphrase.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from tests.cli.helpers import TerminalProcess, free_port, hotline, wait_for


def _init(directory: Path, party: str, *extra: str | Path) -> str:
    return hotline(
        "init", directory, "--party", party, "--listen", f"127.0.0.1:{free_port()}", *extra
    ).stdout


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("hotline: error: "), stderr
    return lines[0]


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "passphrase"
    path.write_text("correct horse battery staple\n", encoding="utf-8")
    return path


@pytest.fixture
def sealed_pair(tmp_path: Path, secret: Path) -> Iterator[tuple[TerminalProcess, TerminalProcess]]:
    """Washington sealed (passphrase by flag), Moscow sealed (by systemd credential)."""
    washington, moscow = tmp_path / "washington", tmp_path / "moscow"
    _init(washington, "Washington", "--passphrase-file", secret)
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "passphrase").write_text("another passphrase entirely", encoding="utf-8")
    moscow_env = {"CREDENTIALS_DIRECTORY": str(credentials)}
    hotline(
        "init", moscow, "--party", "Moscow", "--listen", f"127.0.0.1:{free_port()}", env=moscow_env
    )
    # Offline verbs find the passphrase in the environment.
    washington_env = {"HOTLINE_PASSPHRASE_FILE": str(secret)}
    w_card = hotline("card", washington, env=washington_env).stdout
    m_card = hotline("card", moscow, env=moscow_env).stdout
    hotline("peer", "add", washington, "-", stdin=m_card, env=washington_env)
    hotline("peer", "add", moscow, "-", stdin=w_card, env=moscow_env)
    terminals = (
        TerminalProcess(washington, run_args=("--passphrase-file", secret)),
        TerminalProcess(moscow, env=moscow_env),
    )
    yield terminals
    for terminal in terminals:
        terminal.stop()


def test_init_seals_every_private_key(tmp_path: Path, secret: Path) -> None:
    directory = tmp_path / "w"
    out = _init(directory, "Washington", "--passphrase-file", secret)
    assert "keys sealed" in out
    for name in ("signing.key", "encryption.key"):
        data = (directory / "keys" / name).read_bytes()
        assert data.startswith(b"HLSEALED"), name
        assert len(data) > 32
    pem = (directory / "tls" / "key.pem").read_bytes()
    assert b"ENCRYPTED PRIVATE KEY" in pem
    with pytest.raises(TypeError):  # a password is required
        load_pem_private_key(pem, password=None)
    # Offline verbs open the keys with the passphrase from the environment.
    card = hotline("card", directory, env={"HOTLINE_PASSPHRASE_FILE": str(secret)}).stdout
    assert '"party": "Washington"' in card or '"party":"Washington"' in card


def test_a_sealed_pair_runs_and_delivers_status_says_nothing_of_unprotected_keys(
    sealed_pair: tuple[TerminalProcess, TerminalProcess],
) -> None:
    washington, moscow = sealed_pair
    washington.start()
    moscow.start()
    hotline("send", washington.directory, "--to", "Moscow", "sealed and delivered")
    wait_for(
        lambda: "sealed and delivered" in hotline("messages", moscow.directory).stdout,
        what="the message at Moscow",
    )
    status = hotline("status", washington.directory).stdout
    assert "keys unprotected" not in status
    assert '"keys": "sealed"' in hotline("status", washington.directory, "--json").stdout


def test_run_without_or_with_a_wrong_passphrase_exits_2_and_starts_nothing(
    tmp_path: Path, secret: Path
) -> None:
    directory = tmp_path / "w"
    _init(directory, "Washington", "--passphrase-file", secret)
    # stdin="": not a terminal, so run does not ask (as under a service manager).
    missing = hotline("run", directory, check=False, stdin="")
    assert missing.returncode == 2, missing
    line = _one_line(missing.stderr)
    for source in ("--passphrase-file", "$HOTLINE_PASSPHRASE_FILE", "$CREDENTIALS_DIRECTORY"):
        assert source in line
    wrong = tmp_path / "wrong"
    wrong.write_text("not the passphrase", encoding="utf-8")
    refused = hotline("run", directory, "--passphrase-file", wrong, check=False)
    assert refused.returncode == 2, refused
    assert "does not open the keys" in _one_line(refused.stderr)
    refused = hotline(
        "run", directory, check=False, stdin="", env={"HOTLINE_PASSPHRASE_FILE": str(wrong)}
    )
    assert refused.returncode == 2
    assert "$HOTLINE_PASSPHRASE_FILE" in _one_line(refused.stderr)
    assert not (directory / "control.sock").exists()
    assert not (directory / "send.sock").exists()


def test_a_copied_directory_without_the_passphrase_cannot_start(
    tmp_path: Path, secret: Path
) -> None:
    directory = tmp_path / "w"
    _init(directory, "Washington", "--passphrase-file", secret)
    stolen = tmp_path / "elsewhere" / "w"
    shutil.copytree(directory, stolen)
    result = hotline("run", stolen, check=False, stdin="")
    assert result.returncode == 2
    assert "needs the keys' passphrase" in _one_line(result.stderr)
    # Nor does any offline verb give the keys' use away.
    assert hotline("card", stolen, check=False).returncode == 2


def test_init_without_a_passphrase_source_refuses_when_not_interactive(tmp_path: Path) -> None:
    directory = tmp_path / "w"
    result = hotline(
        "init", directory, "--party", "Washington", "--listen", "127.0.0.1:1", check=False, stdin=""
    )
    assert result.returncode == 2
    line = _one_line(result.stderr)
    assert "--unprotected-keys" in line
    assert "$HOTLINE_PASSPHRASE_FILE" in line
    assert not (directory / "hotline.toml").exists()
    assert not (directory / "keys").exists()


def test_unprotected_keys_are_raw_and_status_says_so(tmp_path: Path) -> None:
    directory = tmp_path / "w"
    out = _init(directory, "Washington", "--unprotected-keys")
    assert "keys unprotected" in out
    assert len((directory / "keys" / "signing.key").read_bytes()) == 32
    terminal = TerminalProcess(directory)
    terminal.start()
    try:
        assert "keys unprotected" in hotline("status", directory).stdout
        assert '"keys": "unprotected"' in hotline("status", directory, "--json").stdout
    finally:
        terminal.stop()
