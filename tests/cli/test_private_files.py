"""Every file a terminal creates is owner-only, even under ``umask 000`` (issues 18 and 21).

Real processes as a user runs them: ``init``, ``peer add``, ``run`` with a
message sent and delivered (the database, its WAL files, the sockets, the lock,
the log), and ``export``. Each file's mode is listed, so a failure names the
file that leaked.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.helpers import TerminalProcess, hotline, wait_for
from tests.terminal.record.test_export_audit import _exchange


@pytest.fixture
def open_umask() -> Iterator[None]:
    # The children (hotline processes) inherit it: the most careless setting there is.
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def _modes(root: Path, *, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """``relative path -> octal mode`` of everything under ``root`` (the root itself as ``.``)."""
    found = {".": oct(stat.S_IMODE(root.stat().st_mode))}
    for path in sorted(root.rglob("*")):
        if path.name.startswith(skip):
            continue
        found[str(path.relative_to(root))] = oct(stat.S_IMODE(path.lstat().st_mode))
    return found


def _assert_private(modes: dict[str, str], root: Path) -> None:
    leaks = {}
    for name, mode in modes.items():
        path = root / name
        wanted = "0o700" if path.is_dir() else "0o600"
        if mode != wanted:
            leaks[name] = mode
    assert not leaks, f"not owner-only: {leaks} (all: {modes})"


def test_init_peer_add_and_run_under_umask_000_create_only_private_files(
    tmp_path: Path, open_umask: None, pair: tuple[TerminalProcess, TerminalProcess]
) -> None:
    washington, moscow = pair
    washington.start()
    moscow.start()
    hotline("send", washington.directory, "--to", "Moscow", "are you there")
    wait_for(
        lambda: "are you there" in hotline("messages", moscow.directory).stdout,
        what="the message at Moscow",
    )
    root = washington.directory
    # The test's own capture of the daemon's stderr is not the terminal's file.
    modes = _modes(root, skip=("run-",))
    for expected in (
        "hotline.toml",
        "hotline.db",
        "hotline.db-wal",
        "hotline.db-shm",
        "keys",
        "keys/signing.key",
        "keys/encryption.key",
        "tls",
        "tls/cert.pem",
        "tls/key.pem",
        "terminal.log",
        "terminal.lock",
        "control.sock",
    ):
        assert expected in modes, f"{expected} missing: {sorted(modes)}"
    _assert_private(modes, root)


def test_export_under_umask_000_is_owner_only(tmp_path: Path, open_umask: None) -> None:
    exchange = _exchange(tmp_path / "made")
    bundle = tmp_path / "line.json"
    hotline("export", exchange.washington_dir, "--peer", "Moscow", "--output", bundle)
    assert oct(stat.S_IMODE(bundle.stat().st_mode)) == "0o600"
