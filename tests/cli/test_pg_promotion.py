"""The database fails over under a running terminal: primary killed, synchronous replica promoted.

Moscow runs on a replicated PostgreSQL (a primary and a synchronous streaming
replica with ``synchronous_commit = remote_apply``, hotline.testing.postgresql)
through the multi-host URL operators use; Washington runs on SQLite. Traffic
flows both ways; the test notes every message Moscow had receipted (Washington's
messages in state ``delivered``) and every message it had accepted for sending.
Then the primary dies (``pg_ctl -m immediate stop``) and the replica is promoted.

The active process loses its leader lock's connection and steps down (exit 1),
as docs/ha.md §4 says; the test restarts it as the service manager does
(``Restart=on-failure`` in deploy/hotline@.service). libpq then finds the
promoted replica through ``target_session_attrs=read-write``, and the line
carries on: new messages both ways, every message noted before the kill is in
Moscow's store, nothing twice, and ``hotline verify`` holds on both sides.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hotline.terminal import ControlClient
from hotline.testing.postgresql import ReplicatedServers, replicated_or_skip

from .helpers import TerminalProcess, free_port, hotline, wait_for

N = 10


@pytest.fixture
def databases() -> Iterator[ReplicatedServers]:
    with replicated_or_skip() as servers:
        yield servers


def _messages(directory: Path, peer: str, direction: str) -> list[dict[str, Any]]:
    with ControlClient(directory) as client:
        found: list[dict[str, Any]] = client.messages(peer=peer, direction=direction)
    return found


def _accepts_writes(url: str) -> bool:
    """Whether the multi-host URL reaches a server that takes a write (the promoted replica)."""
    import psycopg

    try:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(b"CREATE TEMPORARY TABLE hotline_probe (x int)")
    except psycopg.Error:
        return False
    return True


def test_the_terminal_survives_the_promotion_of_its_replica(
    databases: ReplicatedServers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOTLINE_LINK_RECONNECT_CAP", "1")
    assert databases.replication_state() == [("replica1", "sync")]
    url = databases.create_database("hotline")
    moscow_dir, washington_dir = tmp_path / "moscow", tmp_path / "washington"
    hotline(
        "init",
        washington_dir,
        "--unprotected-keys",
        "--party",
        "Washington",
        "--listen",
        f"127.0.0.1:{free_port()}",
    )
    hotline(
        "init",
        moscow_dir,
        "--unprotected-keys",
        "--party",
        "Moscow",
        "--listen",
        f"127.0.0.1:{free_port()}",
        "--store",
        url,
    )
    hotline("peer", "add", washington_dir, "-", stdin=hotline("card", moscow_dir).stdout)
    hotline("peer", "add", moscow_dir, "-", stdin=hotline("card", washington_dir).stdout)

    moscow, washington = TerminalProcess(moscow_dir), TerminalProcess(washington_dir)
    try:
        washington.start()
        moscow.start()
        for index in range(N):
            hotline("send", moscow_dir, "--to", "Washington", f"to Washington {index}")
            hotline("send", washington_dir, "--to", "Moscow", f"to Moscow {index}")
        wait_for(
            lambda: len(_messages(washington_dir, "Moscow", "in")) == N,
            what="Moscow's messages to arrive",
        )
        wait_for(
            lambda: all(
                m["state"] == "delivered" for m in _messages(washington_dir, "Moscow", "out")
            ),
            what="Moscow to receipt Washington's messages",
        )
        receipted = {m["envelope_hash"] for m in _messages(washington_dir, "Moscow", "out")}
        accepted = {m["envelope_hash"] for m in _messages(moscow_dir, "Washington", "out")}
        assert len(receipted) == len(accepted) == N

        databases.kill_primary()
        databases.promote()
        assert moscow.process is not None
        # The lock's connection is gone: the active process steps down and exits 1.
        assert moscow.process.wait(timeout=30) == 1
        assert "lost the leader lock" in moscow.stderr()
        # Restarted once the promoted replica takes writes, as systemd's
        # Restart=on-failure would bring it back: the event, not a fixed wait.
        wait_for(lambda: _accepts_writes(url), what="the promoted replica to take writes")
        moscow.start()
        with ControlClient(moscow_dir) as client:
            assert client.status()["role"] == "active"

        hotline("send", moscow_dir, "--to", "Washington", "after the promotion")
        hotline("send", washington_dir, "--to", "Moscow", "after the promotion too")
        wait_for(
            lambda: any(
                m["text"] == "after the promotion"
                for m in _messages(washington_dir, "Moscow", "in")
            ),
            what="Moscow's new message to arrive",
        )
        wait_for(
            lambda: any(
                m["text"] == "after the promotion too"
                for m in _messages(moscow_dir, "Washington", "in")
            ),
            what="Washington's new message to arrive",
        )
        incoming = _messages(moscow_dir, "Washington", "in")
        outgoing = _messages(moscow_dir, "Washington", "out")
    finally:
        for terminal in (moscow, washington):
            terminal.stop()

    # Every message Moscow had receipted or accepted before the kill is still there, once.
    assert receipted <= {m["envelope_hash"] for m in incoming}
    assert accepted <= {m["envelope_hash"] for m in outgoing}
    for records in (incoming, outgoing):
        serials = sorted(m["serial"] for m in records)
        assert serials == list(range(1, N + 2)), serials
    # The primary is down: verify read the promoted replica through the same URL.
    for directory in (moscow_dir, washington_dir):
        assert "all hold" in hotline("verify", directory).stdout
