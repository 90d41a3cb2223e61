"""``hotline passphrase change``, through real processes (issue 18, docs/keys.md, "Changing the passphrase").

Every sealed key file is resealed under the new passphrase: a start with the
old one is refused, with the new one the terminal runs and delivers; an
unprotected terminal is protected the same way; a change interrupted halfway
is finished by a re-run; a running terminal is refused.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from hotline.crypto.sealed import open_secret, seal_secret
from hotline.errors import WrongPassphrase
from hotline.store import open_store
from tests.cli.helpers import (
    TerminalProcess,
    free_port,
    hotline,
    init_unprotected,
    wait_for,
)

KEY_FILES = ("master.key", "signing.key", "encryption.key")


@pytest.fixture
def old(tmp_path: Path) -> Path:
    path = tmp_path / "old-passphrase"
    path.write_text("correct horse battery staple\n", encoding="utf-8")
    return path


@pytest.fixture
def new(tmp_path: Path) -> Path:
    path = tmp_path / "new-passphrase"
    path.write_text("a wholly different passphrase\n", encoding="utf-8")
    return path


def _init_sealed(directory: Path, party: str, passphrase: Path) -> None:
    hotline(
        "init",
        directory,
        "--party",
        party,
        "--listen",
        f"127.0.0.1:{free_port()}",
        "--passphrase-file",
        passphrase,
    )


def _pair(tmp_path: Path, old: Path) -> tuple[Path, Path]:
    """Washington sealed under ``old``, Moscow unprotected, each the other's peer."""
    washington, moscow = tmp_path / "washington", tmp_path / "moscow"
    _init_sealed(washington, "Washington", old)
    init_unprotected(moscow, "Moscow")
    env = {"HOTLINE_PASSPHRASE_FILE": str(old)}
    hotline("peer", "add", washington, "-", stdin=hotline("card", moscow).stdout, env=env)
    hotline("peer", "add", moscow, "-", stdin=hotline("card", washington, env=env).stdout)
    return washington, moscow


def _journal_kinds(directory: Path) -> list[str]:
    store = open_store(directory / "hotline.db")
    try:
        return [entry.kind for entry in store.iter_journal()]
    finally:
        store.close()


def _key_bytes(directory: Path) -> dict[str, bytes]:
    files = [directory / "keys" / name for name in KEY_FILES] + [directory / "tls" / "key.pem"]
    return {path.name: path.read_bytes() for path in files}


def test_after_a_change_the_old_passphrase_is_refused_and_the_new_one_runs_and_delivers(
    tmp_path: Path, old: Path, new: Path
) -> None:
    washington, moscow = _pair(tmp_path, old)
    before = _key_bytes(washington)
    out = hotline(
        "passphrase", "change", washington, "--passphrase-file", old, "--new-passphrase-file", new
    ).stdout
    assert "keys/master.key" in out
    assert "keys/encryption.key" in out
    after = _key_bytes(washington)
    for name in KEY_FILES:
        assert after[name] != before[name], name
        assert after[name].startswith(b"HLSEALED")
        assert (washington / "keys" / name).stat().st_mode & 0o777 == 0o600
    # The TLS key's password is derived from the keys, not the passphrase: unchanged.
    assert after["key.pem"] == before["key.pem"]
    assert not list((washington / "keys").glob("*.new"))
    assert _journal_kinds(washington)[-1] == "keys resealed"

    refused = hotline("run", washington, "--passphrase-file", old, check=False, stdin="")
    assert refused.returncode == 2, refused
    assert "does not open the keys" in refused.stderr
    terminals = (
        TerminalProcess(washington, run_args=("--passphrase-file", new)),
        TerminalProcess(moscow),
    )
    try:
        for terminal in terminals:
            terminal.start()
        hotline("send", washington, "--to", "Moscow", "after the change")
        wait_for(
            lambda: "after the change" in hotline("messages", moscow).stdout,
            what="the message at Moscow",
        )
    finally:
        for terminal in terminals:
            terminal.stop()
    verified = hotline("verify", washington, env={"HOTLINE_PASSPHRASE_FILE": str(new)})
    assert "all hold" in verified.stdout


def test_an_unprotected_terminal_is_sealed_and_unsealed_again(tmp_path: Path, new: Path) -> None:
    directory = tmp_path / "w"
    init_unprotected(directory, "Washington")
    hotline("passphrase", "change", directory, "--new-passphrase-file", new, stdin="")
    keys = _key_bytes(directory)
    for name in KEY_FILES:
        assert keys[name].startswith(b"HLSEALED"), name
    assert b"ENCRYPTED PRIVATE KEY" in keys["key.pem"]
    with pytest.raises(TypeError):  # a password is required now
        load_pem_private_key(keys["key.pem"], password=None)
    missing = hotline("run", directory, check=False, stdin="")
    assert missing.returncode == 2
    assert "needs the keys' passphrase" in missing.stderr
    terminal = TerminalProcess(directory, run_args=("--passphrase-file", new))
    try:
        terminal.start()
        assert '"keys": "sealed"' in hotline("status", directory, "--json").stdout
    finally:
        terminal.stop()

    result = hotline("passphrase", "change", directory, "--passphrase-file", new, "--unprotect")
    assert "unencrypted" in result.stderr  # the warning
    keys = _key_bytes(directory)
    for name in KEY_FILES:
        assert len(keys[name]) == 32, name
    load_pem_private_key(keys["key.pem"], password=None)
    terminal = TerminalProcess(directory)
    try:
        terminal.start()
        assert "keys unprotected" in hotline("status", directory).stdout
    finally:
        terminal.stop()
    assert _journal_kinds(directory).count("keys resealed") == 2


def test_an_interrupted_change_is_finished_by_a_rerun(tmp_path: Path, old: Path, new: Path) -> None:
    directory = tmp_path / "w"
    _init_sealed(directory, "Washington", old)
    # As if a change had stopped after the signing key: it alone is under the new passphrase.
    signing = directory / "keys" / "signing.key"
    secret = open_secret(
        signing.read_bytes(), b"correct horse battery staple", label="Washington signing"
    )
    signing.write_bytes(
        seal_secret(secret, b"a wholly different passphrase", label="Washington signing")
    )
    for passphrase in (old, new):
        assert (
            hotline("card", directory, "--passphrase-file", passphrase, check=False).returncode != 0
        )

    out = hotline(
        "passphrase", "change", directory, "--passphrase-file", old, "--new-passphrase-file", new
    ).stdout
    assert "keys/master.key" in out
    assert "keys/encryption.key" in out
    assert "signing.key" not in out  # already done
    # Run twice: nothing left to do, and still no error.
    again = hotline(
        "passphrase", "change", directory, "--passphrase-file", old, "--new-passphrase-file", new
    ).stdout
    assert "nothing to rewrite" in again
    terminal = TerminalProcess(directory, run_args=("--passphrase-file", new))
    try:
        terminal.start()
    finally:
        terminal.stop()


def test_a_wrong_current_passphrase_changes_nothing(tmp_path: Path, old: Path, new: Path) -> None:
    directory = tmp_path / "w"
    _init_sealed(directory, "Washington", old)
    before = _key_bytes(directory)
    wrong = tmp_path / "wrong"
    wrong.write_text("not the passphrase at all", encoding="utf-8")
    result = hotline(
        "passphrase",
        "change",
        directory,
        "--passphrase-file",
        wrong,
        "--new-passphrase-file",
        new,
        check=False,
    )
    assert result.returncode == 2, result
    assert "nothing was changed" in result.stderr
    assert _key_bytes(directory) == before


def test_refused_while_the_terminal_runs(tmp_path: Path, old: Path, new: Path) -> None:
    directory = tmp_path / "w"
    _init_sealed(directory, "Washington", old)
    before = _key_bytes(directory)
    terminal = TerminalProcess(directory, run_args=("--passphrase-file", old))
    try:
        terminal.start()
        result = hotline(
            "passphrase",
            "change",
            directory,
            "--passphrase-file",
            old,
            "--new-passphrase-file",
            new,
            check=False,
        )
        assert result.returncode == 1, result
        assert "is running: stop it first" in result.stderr
        assert _key_bytes(directory) == before
    finally:
        terminal.stop()


def test_the_archived_master_keys_are_resealed_too(tmp_path: Path, old: Path, new: Path) -> None:
    directory = tmp_path / "w"
    _init_sealed(directory, "Washington", old)
    terminal = TerminalProcess(directory, run_args=("--passphrase-file", old))
    try:
        terminal.start()
        hotline("key", "change-master", directory, "--passphrase-file", old)
    finally:
        terminal.stop()
    archived = directory / "keys" / "master-1.key"
    label = "Washington master"
    first = open_secret(archived.read_bytes(), b"correct horse battery staple", label=label)
    # As if a change had stopped after the archive: it alone is under the new passphrase.
    archived.write_bytes(seal_secret(first, b"a wholly different passphrase", label=label))

    out = hotline(
        "passphrase", "change", directory, "--passphrase-file", old, "--new-passphrase-file", new
    ).stdout
    assert "keys/master.key" in out
    assert "master-1.key" not in out  # already done
    for name in ("master.key", "master-1.key"):
        blob = (directory / "keys" / name).read_bytes()
        with pytest.raises(WrongPassphrase):
            open_secret(blob, b"correct horse battery staple", label=label)
        open_secret(blob, b"a wholly different passphrase", label=label)
    assert (
        open_secret(archived.read_bytes(), b"a wholly different passphrase", label=label) == first
    )
    again = hotline(
        "passphrase", "change", directory, "--passphrase-file", new, "--new-passphrase-file", old
    ).stdout
    assert "keys/master-1.key" in again  # and back: every master follows the passphrase
    open_secret(archived.read_bytes(), b"correct horse battery staple", label=label)
    terminal = TerminalProcess(directory, run_args=("--passphrase-file", old))
    try:
        terminal.start()
    finally:
        terminal.stop()
