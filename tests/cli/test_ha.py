"""Active/standby, as an operator runs it: Moscow is two ``hotline run`` processes on one PostgreSQL store.

``hotline init --standby-of`` makes the second directory; Moscow's card then
lists both processes' addresses. Exactly one process is active (``hotline
status`` says which, with its fencing epoch); the standby listens to nobody.
The active one is killed with SIGKILL: within 5 s the standby is active and a
new message sent through it reaches Washington, and Washington holds every
message exactly once, in serial order; ``hotline verify`` holds on both sides.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hotline.terminal import ControlClient
from hotline.testing.postgresql import PostgreSQLServer, server_or_skip

from .helpers import TerminalProcess, free_port, hotline, wait_for

N = 20


@pytest.fixture(scope="module")
def pg_server() -> Iterator[PostgreSQLServer]:
    with server_or_skip() as server:
        yield server


def _status(directory: Path) -> dict[str, Any]:
    shown: dict[str, Any] = json.loads(hotline("status", directory, "--json").stdout)
    return shown


def _role(directory: Path) -> str | None:
    try:
        with ControlClient(directory, timeout=2) as client:
            role: str = client.status()["role"]
            return role
    except Exception:  # a process being killed or starting answers nothing
        return None


def _from_moscow(washington: Path) -> list[dict[str, Any]]:
    with ControlClient(washington) as client:
        messages: list[dict[str, Any]] = client.messages(peer="Moscow", direction="in")
    return messages


def test_kill_the_active_and_the_standby_delivers_within_5_s(
    pg_server: PostgreSQLServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A refused route is redialed at most every second (the default cap is longer):
    # the failover time then depends on the standby, not on a peer's backoff.
    monkeypatch.setenv("HOTLINE_LINK_RECONNECT_CAP", "1")
    with pg_server.database() as url:
        washington_dir = tmp_path / "washington"
        active_dir, standby_dir = tmp_path / "moscow-a", tmp_path / "moscow-b"
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
            active_dir,
            "--unprotected-keys",
            "--party",
            "Moscow",
            "--listen",
            f"127.0.0.1:{free_port()}",
            "--store",
            url,
        )
        standby_route = f"127.0.0.1:{free_port()}"
        made = hotline("init", standby_dir, "--standby-of", active_dir, "--listen", standby_route)
        assert "initialised the standby of Moscow" in made.stdout
        card = json.loads(hotline("card", active_dir).stdout)
        assert card == json.loads(hotline("card", standby_dir).stdout)
        assert standby_route in card["routes"]
        assert len(card["routes"]) == 2
        hotline("peer", "add", washington_dir, "-", stdin=hotline("card", active_dir).stdout)
        hotline("peer", "add", active_dir, "-", stdin=hotline("card", washington_dir).stdout)

        washington = TerminalProcess(washington_dir)
        active, standby = TerminalProcess(active_dir), TerminalProcess(standby_dir)
        try:
            washington.start()
            active.start()
            wait_for(lambda: _role(active_dir) == "active", what="the first process to lead")
            standby.start()
            shown = _status(standby_dir)
            assert (shown["role"], shown["peers"]) == ("standby", [])
            assert "role: standby" in hotline("status", standby_dir).stdout
            first_epoch = _status(active_dir)["epoch"]
            # The standby refuses to send (it may not write); the active one carries the line.
            refused = hotline("send", standby_dir, "--to", "Washington", "not me", check=False)
            assert refused.returncode == 1
            for index in range(N):
                hotline("send", active_dir, "--to", "Washington", f"before {index}")
            wait_for(lambda: len(_from_moscow(washington_dir)) == N, what="the first messages")

            active.kill()
            killed = time.monotonic()
            wait_for(lambda: _role(standby_dir) == "active", within=5, what="the standby to lead")
            hotline("send", standby_dir, "--to", "Washington", "after the kill")
            wait_for(
                lambda: any(m["text"] == "after the kill" for m in _from_moscow(washington_dir)),
                within=5,
                what="a message sent through the standby to arrive",
            )
            failover = time.monotonic() - killed
            assert failover < 5, failover
            assert _status(standby_dir)["epoch"] == first_epoch + 1

            # The killed process comes back as the standby.
            active.start()
            assert _role(active_dir) == "standby"
            hotline("send", standby_dir, "--to", "Washington", "after the restart")
            wait_for(lambda: len(_from_moscow(washington_dir)) == N + 2, what="every message")
        finally:
            for terminal in (washington, active, standby):
                terminal.stop()
        received = _messages_in(washington_dir)
        assert [m["text"] for m in received] == [
            *(f"before {index}" for index in range(N)),
            "after the kill",
            "after the restart",
        ]
        for directory in (washington_dir, standby_dir):
            assert "all hold" in hotline("verify", directory).stdout


def _messages_in(washington: Path) -> list[dict[str, Any]]:
    """Washington's messages from Moscow in serial order (read from the stopped terminal's store)."""
    from hotline.terminal import open_terminal

    files = open_terminal(washington)
    try:
        records = files.store.list_messages(peer="Moscow")
    finally:
        files.store.close()
    incoming = sorted((r for r in records if r.direction == "in"), key=lambda r: r.serial)
    serials = [r.serial for r in incoming]
    assert serials == list(range(1, len(incoming) + 1)), serials  # none lost, none twice
    return [{"text": r.text, "serial": r.serial} for r in incoming]
