"""A standby takes over with the keys the active process rotated (docs/ha.md §6).

Moscow is an active/standby pair on one PostgreSQL store, its keys sealed under
a passphrase; Washington is its peer. Both Moscow processes run. The active one
rotates every operational key (``hotline key rotate --which all``): its new
signing key signs once Washington has receipted the key events, and Washington
seals to its new encryption key from then on. The active process published its
key files in the store each time; the waiting standby pulls them. A second TLS
rotation, and at once a SIGKILL of the active process: the standby takes over
with the newest files (pulled while it waited, or as it took the lead). Its
directory then holds the active's key files byte for byte, and no private key
in the clear went into the store. Messages flow both ways through it: what it
sends is signed by the new signing key, what Washington sealed to the new
encryption key opens there. Leading now, it revokes the first TLS key, and the
store holds its key files as they are then. ``hotline verify`` holds on both sides.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline.crypto import Envelope, is_sealed
from hotline.store import Direction, JournalEntry, open_store
from hotline.terminal import ControlClient, open_terminal
from hotline.terminal.config import TerminalPaths, key_files_on_disk
from hotline.testing.postgresql import PostgreSQLServer, server_or_skip

from .helpers import TerminalProcess, free_port, hotline, init_unprotected, wait_for
from .test_ha import _role

N = 5


@pytest.fixture(scope="module")
def pg_server() -> Iterator[PostgreSQLServer]:
    with server_or_skip() as server:
        yield server


def _journal(url: str) -> list[JournalEntry]:
    """Moscow's journal, read from the shared store (either process may be running)."""
    store = open_store(url, create=False)
    try:
        return list(store.iter_journal())
    finally:
        store.close()


def _keys(directory: Path) -> dict[str, list[tuple[int, str]]]:
    listed = json.loads(hotline("key", "list", directory, "--json").stdout)
    kinds: dict[str, list[tuple[int, str]]] = {}
    for key in listed["keys"]:
        kinds.setdefault(key["kind"], []).append((key["serial"], key["state"]))
    return kinds


def _send_both_ways(moscow: Path, washington: Path, label: str) -> None:
    with ControlClient(moscow) as from_moscow, ControlClient(washington) as from_washington:
        sent = [
            (from_moscow, from_moscow.send(to="Washington", text=f"Moscow {label} {i}"))
            for i in range(N)
        ]
        sent += [
            (from_washington, from_washington.send(to="Moscow", text=f"Washington {label} {i}"))
            for i in range(N)
        ]
        for client, record in sent:
            assert client.wait_delivered(str(record["id"]), timeout=60)["state"] == "delivered"


def test_the_standby_takes_over_with_the_rotated_keys(
    pg_server: PostgreSQLServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOTLINE_LINK_RECONNECT_CAP", "1")
    secret = tmp_path / "passphrase"
    secret.write_text("a passphrase both machines are given\n", encoding="utf-8")
    # Every process and offline verb of Moscow opens its sealed keys with it.
    monkeypatch.setenv("HOTLINE_PASSPHRASE_FILE", str(secret))
    with pg_server.database() as url:
        washington_dir = tmp_path / "washington"
        active_dir, standby_dir = tmp_path / "moscow-a", tmp_path / "moscow-b"
        init_unprotected(washington_dir, "Washington")
        hotline(
            "init",
            active_dir,
            "--passphrase-file",
            secret,
            "--party",
            "Moscow",
            "--listen",
            f"127.0.0.1:{free_port()}",
            "--store",
            url,
        )
        route = f"127.0.0.1:{free_port()}"
        hotline("init", standby_dir, "--standby-of", active_dir, "--listen", route)
        hotline("peer", "add", washington_dir, "-", stdin=hotline("card", active_dir).stdout)
        hotline("peer", "add", active_dir, "-", stdin=hotline("card", washington_dir).stdout)

        washington = TerminalProcess(washington_dir)
        active, standby = TerminalProcess(active_dir), TerminalProcess(standby_dir)
        try:
            washington.start()
            active.start()
            wait_for(lambda: _role(active_dir) == "active", what="the first process to lead")
            standby.start()
            assert _role(standby_dir) == "standby"
            _send_both_ways(active_dir, washington_dir, "before")
            before = key_files_on_disk(TerminalPaths(standby_dir))

            rotated = json.loads(
                hotline("key", "rotate", active_dir, "--which", "all", "--json").stdout
            )
            assert sorted(k["kind"] for k in rotated["keys"]) == ["encryption", "signing", "tls"]
            _send_both_ways(active_dir, washington_dir, "rotating")
            wait_for(
                lambda: any(e.kind == "signing key switched" for e in _journal(url)),
                within=30,
                what="the active process's switch to its new signing key",
            )
            # The waiting standby pulls what the active published (every CHECK_EVERY s).
            wait_for(
                lambda: (
                    key_files_on_disk(TerminalPaths(standby_dir))
                    == key_files_on_disk(TerminalPaths(active_dir))
                ),
                within=30,
                what="the standby to pull the rotated key files",
            )
            # One more rotation, and the kill at once: the standby takes the lead
            # on the newest files, whether it pulled them waiting or as it leads.
            hotline("key", "rotate", active_dir, "--which", "tls")
            active.kill()
            wait_for(lambda: _role(standby_dir) == "active", within=15, what="the standby to lead")
            _send_both_ways(standby_dir, washington_dir, "after")
            # The files it took over with are the active's, byte for byte.
            pulled = key_files_on_disk(TerminalPaths(standby_dir))
            assert pulled == key_files_on_disk(TerminalPaths(active_dir))
            # Leading now, it publishes its own key events: a revocation.
            listed = json.loads(hotline("key", "list", standby_dir, "--json").stdout)
            [first_tls] = [
                k["id"] for k in listed["keys"] if k["kind"] == "tls" and k["serial"] == 1
            ]
            hotline("key", "revoke", standby_dir, "--key", first_tls, "--reason", "drill")
        finally:
            for terminal in (washington, active, standby):
                terminal.stop()

        # The standby's key files changed since the copy; the store holds them as they are.
        assert pulled != key_files_on_disk(TerminalPaths(standby_dir))
        assert "keys/revocations.cbor" in key_files_on_disk(TerminalPaths(standby_dir))
        assert pulled != before
        kinds = _keys(standby_dir)
        assert kinds["signing"] == [(1, "superseded"), (2, "current")]
        assert kinds["encryption"] == [(1, "superseded"), (2, "current")]
        assert kinds["tls"][1:] == [(2, "superseded"), (3, "current")]
        assert kinds["tls"][0][1].startswith("revoked")
        for path in (standby_dir / "keys", standby_dir / "tls"):
            assert oct(path.stat().st_mode & 0o777) == oct(0o700)
            for file in path.rglob("*"):
                if file.is_file():
                    assert oct(file.stat().st_mode & 0o777) == oct(0o600), file
        # What the store holds is sealed, encrypted or public: never a key in the clear.
        store = open_store(url, create=False)
        try:
            published = store.key_files()
        finally:
            store.close()
        assert published is not None
        assert published.files == key_files_on_disk(TerminalPaths(standby_dir))
        for name, content in published.files.items():
            if name.endswith(".key"):
                assert is_sealed(content), name
            assert b"-----BEGIN PRIVATE KEY-----" not in content, name
        assert "tls/console-key.pem" not in published.files

        moscow = open_terminal(standby_dir)
        try:
            new_signing, new_encryption = (
                moscow.identity.signer_public,
                moscow.identity.encryption_public,
            )
            address = moscow.identity.signing_public
            taken = moscow.store.list_messages(peer="Washington")
        finally:
            moscow.store.close()
        assert new_signing != address
        files = open_terminal(washington_dir)
        try:
            received = files.store.list_messages(peer="Moscow")
            [switch] = files.store.peer_encryption_keys("Moscow")
        finally:
            files.store.close()
        # What the standby sent after the takeover is signed by the new signing key.
        after = [m for m in received if m.text.startswith("Moscow after")]
        assert len(after) == N
        for message in after:
            assert message.direction == Direction.IN
            assert Envelope.decode(message.envelope).header.signer == new_signing
        # Washington sealed to the new encryption key, and the standby opened it.
        assert switch.key == new_encryption
        incoming = sorted((m for m in taken if m.direction == Direction.IN), key=lambda m: m.serial)
        opened = [m.text for m in incoming]
        assert [t for t in opened if t.startswith("Washington after")] == [
            f"Washington after {i}" for i in range(N)
        ]
        for directory in (washington_dir, standby_dir):
            assert "all hold" in hotline("verify", directory).stdout
        journal = _journal(url)
        assert any(e.kind == "key files published" for e in journal)
        assert not [e for e in journal if e.kind == "refusal"]
