"""A peer added after a channel was configured learns its members, once, through real processes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hotline.store import Direction, SQLiteStore

from .helpers import TerminalProcess, free_port, hotline, make_mesh, wait_for


def _announcements_to(terminal: TerminalProcess) -> list[tuple[str, str]]:
    """(peer, text) of every channel announcement this terminal queued, oldest first."""
    store = SQLiteStore.open_existing(terminal.directory / "hotline.db")
    try:
        found = [
            (m.peer, m.text)
            for m in store.list_messages(direction=Direction.OUT)
            if m.kind == "channel"
        ]
    finally:
        store.close()
    return found[::-1]


def _held(terminal: TerminalProcess, channel: str) -> list[dict[str, Any]]:
    shown = hotline("channel", "show", terminal.directory, channel, "--json", check=False)
    if shown.returncode != 0:
        return []
    peers: list[dict[str, Any]] = json.loads(shown.stdout)["peers"]
    return peers


def _new_party(root: Path, party: str) -> TerminalProcess:
    directory = root / party.lower()
    hotline(
        "init",
        directory,
        "--unprotected-keys",
        "--party",
        party,
        "--listen",
        f"127.0.0.1:{free_port()}",
    )
    return TerminalProcess(directory)


def _link(a: TerminalProcess, b: TerminalProcess) -> None:
    hotline("peer", "add", a.directory, "-", stdin=hotline("card", b.directory).stdout)
    hotline("peer", "add", b.directory, "-", stdin=hotline("card", a.directory).stdout)


def test_a_peer_added_later_receives_the_current_announcement_once(tmp_path: Path) -> None:
    mesh = make_mesh(tmp_path, ("Washington", "Moscow"))
    washington, moscow = mesh["Washington"], mesh["Moscow"]
    london = _new_party(tmp_path, "London")
    paris = _new_party(tmp_path, "Paris")
    secret = tmp_path / "password.txt"
    secret.write_text("correct horse battery\n")
    secret.chmod(0o600)
    hotline(
        "user", "add", washington.directory, "hegseth", "--role", "principal",
        "--password-file", secret,
    )  # fmt: skip
    try:
        washington.start()
        moscow.start()
        hotline("channel", "create", washington.directory, "defence", "--member", "hegseth")
        wait_for(lambda: bool(_held(moscow, "defence")), what="Moscow's announcement")

        # London is added while Washington runs: its line comes up, and the list with it.
        _link(washington, london)
        london.start()
        wait_for(lambda: bool(_held(london, "defence")), what="London learns the members")
        [held] = _held(london, "defence")
        assert (held["peer"], held["version"]) == ("Washington", 1)
        assert held["members"] == [{"name": "hegseth", "role": "member"}]

        # Paris is added while Washington is stopped: the start announces it, and only it.
        assert washington.stop() == 0
        _link(washington, paris)
        washington.start()
        paris.start()
        wait_for(lambda: bool(_held(paris, "defence")), what="Paris learns the members")
        assert washington.stop() == 0
        washington.start()  # a restart announces nothing again
        sent = _announcements_to(washington)
        assert [peer for peer, _ in sent] == ["Moscow", "London", "Paris"]
        assert {text for _, text in sent} == {"CHANNEL defence version 1: members hegseth (member)"}
        hotline("verify", washington.directory)
    finally:
        for terminal in (washington, moscow, london, paris):
            terminal.stop()
