"""The key files an active/standby pair shares through its store (config/keyfiles.py).

Two directories of one sealed terminal, the active's and a copy as
``init --standby-of`` makes it, and the store they share (SQLite here: the
functions take any store; tests/cli/test_ha_key_rotation.py runs them on
PostgreSQL through real processes).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline.crypto import is_sealed
from hotline.store import Store
from hotline.terminal import TerminalPaths, init_terminal
from hotline.terminal.config import (
    key_files_digest,
    key_files_on_disk,
    publish_key_files,
    sync_key_files,
)

AT = "2026-12-02T08:00:00.000000Z"
PASSPHRASE = b"correct horse battery staple"


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[TerminalPaths, TerminalPaths, Store]]:
    """The active's directory (sealed keys, a console), the standby's copy, the store."""
    active = tmp_path / "active"
    files = init_terminal(
        active,
        party="Moscow",
        listen=["127.0.0.1:7000"],
        console="127.0.0.1:8443",
        passphrase=PASSPHRASE,
    )
    standby = tmp_path / "standby"
    standby.mkdir(mode=0o700)
    for name in ("keys", "tls"):
        shutil.copytree(active / name, standby / name)
    try:
        yield TerminalPaths(active), TerminalPaths(standby), files.store
    finally:
        files.store.close()


def test_what_is_published_is_sealed_encrypted_or_public(
    pair: tuple[TerminalPaths, TerminalPaths, Store],
) -> None:
    active, _, store = pair
    assert publish_key_files(store, active, at=AT) == 1
    published = store.key_files()
    assert published is not None
    assert published.files == key_files_on_disk(active)
    assert {"keys/signing.key", "keys/encryption.key", "keys/master.key"} <= set(published.files)
    assert {"keys/certificates.cbor", "tls/cert.pem", "tls/key.pem"} <= set(published.files)
    for name, content in published.files.items():
        if name.endswith(".key"):
            assert is_sealed(content), name
    assert b"ENCRYPTED PRIVATE KEY" in published.files["tls/key.pem"]
    # The console's key is in the clear, and the machine's own: never carried.
    assert (active.tls / "console-key.pem").exists()
    assert not [name for name in published.files if "console" in name]
    [entry] = [e for e in store.iter_journal() if e.kind == "key files published"]
    assert entry.data == {
        "generation": 1,
        "digest": key_files_digest(published.files),
        "files": sorted(published.files),
    }
    # Idempotent: the same files again are no new generation, no new entry.
    assert publish_key_files(store, active, at=AT) is None
    assert store.key_files_generation() == 1
    assert (active.keys / ".synced").read_text() == key_files_digest(published.files)
    assert "keys/.synced" not in key_files_on_disk(active)


def test_a_standby_pulls_what_changed_and_drops_what_went(
    pair: tuple[TerminalPaths, TerminalPaths, Store],
) -> None:
    active, standby, store = pair
    assert sync_key_files(store, standby, lead=False, at=AT).action == "none published"
    _matched(pair)
    # The active stages a file, changes one and retires one (as a rotation does).
    staged = active.keys / ".rotation"
    staged.mkdir(mode=0o700)
    (staged / "signing.key").write_bytes(b"HLSEALED staged")
    (active.keys / "certificates.cbor").write_bytes(b"more certificates")
    (standby.keys / ".rotation").mkdir(mode=0o700)
    (standby.keys / ".rotation" / "ready").write_bytes(b"")  # a marker the active has not
    assert publish_key_files(store, active, at=AT) == 2
    result = sync_key_files(store, standby, lead=False, at=AT)
    assert result.action == "pulled"
    assert result.generation == 2
    assert set(result.changed) == {
        "keys/.rotation/signing.key",
        "keys/certificates.cbor",
        "keys/.rotation/ready",
    }
    assert key_files_on_disk(standby) == key_files_on_disk(active)
    assert not (standby.keys / ".rotation" / "ready").exists()
    assert (standby.keys / ".rotation").stat().st_mode & 0o777 == 0o700
    for name in result.changed[:2]:
        path = standby.root / name
        if path.exists():
            assert path.stat().st_mode & 0o777 == 0o600
    assert not list(standby.root.rglob("*.pulling"))
    # The console's key is the standby's own: left alone.
    assert (standby.tls / "console-key.pem").exists()
    # The active drops the staged directory: the standby's goes too.
    shutil.rmtree(staged)
    publish_key_files(store, active, at=AT)
    assert sync_key_files(store, standby, lead=False, at=AT).action == "pulled"
    assert not (standby.keys / ".rotation").exists()
    assert sync_key_files(store, standby, lead=False, at=AT).action == "in sync"


def _matched(pair: tuple[TerminalPaths, TerminalPaths, Store]) -> None:
    """The active publishes, the standby matches it."""
    active, standby, store = pair
    publish_key_files(store, active, at=AT)
    assert sync_key_files(store, standby, lead=False, at=AT).action == "in sync"


def test_a_local_change_is_kept_by_a_standby_and_published_by_the_leader(
    pair: tuple[TerminalPaths, TerminalPaths, Store],
) -> None:
    active, standby, store = pair
    _matched(pair)
    # A change made in the standby's directory since it matched the store (a
    # passphrase changed there, files copied by hand), the store unchanged.
    (standby.keys / "revocations.cbor").write_bytes(b"revoked")
    assert sync_key_files(store, standby, lead=False, at=AT).action == "kept"
    assert store.key_files_generation() == 1
    led = sync_key_files(store, standby, lead=True, at=AT)
    assert (led.action, led.generation) == ("published", 2)
    # Now the active's directory is the older one: it pulls.
    assert sync_key_files(store, active, lead=False, at=AT).action == "pulled"
    assert (active.keys / "revocations.cbor").read_bytes() == b"revoked"


def test_when_both_changed_the_store_wins(
    pair: tuple[TerminalPaths, TerminalPaths, Store],
) -> None:
    active, standby, store = pair
    _matched(pair)
    (active.keys / "certificates.cbor").write_bytes(b"the active's")
    publish_key_files(store, active, at=AT)
    (standby.keys / "certificates.cbor").write_bytes(b"the standby's")
    assert sync_key_files(store, standby, lead=True, at=AT).action == "pulled"
    assert (standby.keys / "certificates.cbor").read_bytes() == b"the active's"


def test_the_first_leader_publishes(pair: tuple[TerminalPaths, TerminalPaths, Store]) -> None:
    _, standby, store = pair
    result = sync_key_files(store, standby, lead=True, at=AT)
    assert (result.action, result.generation) == ("published", 1)


def test_unprotected_keys_never_go_into_the_store(tmp_path: Path) -> None:
    files = init_terminal(tmp_path / "raw", party="Moscow", listen=["127.0.0.1:7000"])
    try:
        paths = TerminalPaths(tmp_path / "raw")
        assert publish_key_files(files.store, paths, at=AT) is None
        assert sync_key_files(files.store, paths, lead=True, at=AT).action == "unprotected"
        assert files.store.key_files() is None
        # Nor would a raw key file ever be carried.
        assert not [name for name in key_files_on_disk(paths) if name.endswith(".key")]
    finally:
        files.store.close()
