"""``hotline key rotate`` through real processes, while messages flow both ways.

Each side rotates its TLS key mid-stream: the new key is certified by the
master, announced to the peer as a key event and kept there; nothing is lost,
nothing duplicated, everything in order, and the line stays up: judged from
what each terminal journaled (rotation_checks.py), no session closed across a
key change. After a restart the line comes up on the new key. ``hotline key list`` shows the new
key current and the old one superseded; ``hotline verify`` holds on both, and
each side's export audits.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hotline.terminal import ControlClient, open_terminal

from .helpers import TerminalProcess, hotline, make_mesh, wait_for
from .rotation_checks import assert_rotation_kept_the_line

COUNT = 1000


def _texts(terminal: TerminalProcess, direction: str) -> list[str]:
    rows: list[dict[str, Any]] = json.loads(
        hotline("messages", terminal.directory, "--json", "--limit", "10000").stdout
    )
    # ``messages`` lists the newest first.
    return [r["text"] for r in rows if r["kind"] == "text" and r["direction"] == direction][::-1]


def _all_delivered(terminal: TerminalProcess) -> bool:
    rows: list[dict[str, Any]] = json.loads(
        hotline("messages", terminal.directory, "--json", "--limit", "10000").stdout
    )
    return all(r["state"] == "delivered" for r in rows if r["direction"] == "out")


def _tls_keys(terminal: TerminalProcess) -> list[tuple[int, str]]:
    listed = json.loads(hotline("key", "list", terminal.directory, "--json").stdout)
    return [(k["serial"], k["state"]) for k in listed["keys"] if k["kind"] == "tls"]


def test_tls_keys_rotate_on_both_sides_while_messages_flow(tmp_path: Path) -> None:
    terminals = make_mesh(tmp_path, ("Washington", "Moscow"))
    washington, moscow = terminals["Washington"], terminals["Moscow"]
    refused = hotline("key", "rotate", washington.directory, check=False)
    assert refused.returncode != 0  # rotation needs the running terminal
    try:
        washington.start()
        moscow.start()
        with (
            ControlClient(washington.directory) as to_moscow,
            ControlClient(moscow.directory) as to_washington,
        ):
            for index in range(COUNT):
                last_washington = to_moscow.send(to="Moscow", text=f"Washington {index}")
                last_moscow = to_washington.send(to="Washington", text=f"Moscow {index}")
                if index == COUNT // 3:
                    out = hotline("key", "rotate", washington.directory, "--which", "tls").stdout
                    assert "rotated the tls key" in out
                    assert "announced to Moscow" in out
                if index == 2 * COUNT // 3:
                    result = json.loads(hotline("key", "rotate", moscow.directory, "--json").stdout)
                    assert [k["serial"] for k in result["keys"]] == [2]
                    assert result["announced_to"] == ["Washington"]
            # Through the open clients: polling ``hotline messages`` would load the
            # machine the terminals share.
            for client, last in ((to_moscow, last_washington), (to_washington, last_moscow)):
                assert client.wait_delivered(str(last["id"]), timeout=300)["state"] == "delivered"
        wait_for(lambda: _all_delivered(washington), within=60, what="Washington's delivered")
        wait_for(lambda: _all_delivered(moscow), within=60, what="Moscow's delivered")
        for terminal in (washington, moscow):
            with ControlClient(terminal.directory) as client:
                assert [p["state"] for p in client.status()["peers"]] == ["up"]
        washington.stop()
        washington.start()  # its new TLS key only, now: Moscow accepts the new leaf
        with ControlClient(washington.directory) as client:
            late = client.send(to="Moscow", text="on the new key")
            assert client.wait_delivered(str(late["id"]))["state"] == "delivered"
        # Nothing lost, nothing twice, in order, both ways.
        from_washington = [f"Washington {i}" for i in range(COUNT)] + ["on the new key"]
        from_moscow = [f"Moscow {i}" for i in range(COUNT)]
        assert _texts(washington, "out") == from_washington
        assert _texts(moscow, "in") == from_washington
        assert _texts(moscow, "out") == from_moscow
        assert _texts(washington, "in") == from_moscow
    finally:
        washington.stop()
        moscow.stop()
    for terminal, peer in ((washington, "Moscow"), (moscow, "Washington")):
        assert _tls_keys(terminal) == [(1, "superseded"), (2, "current")]
        assert "all hold" in hotline("verify", terminal.directory).stdout
        bundle = tmp_path / f"{terminal.directory.name}.json"
        hotline("export", terminal.directory, "--peer", peer, "--output", bundle)
        assert "ALL HOLDS" in hotline("audit", bundle).stdout
        files = open_terminal(terminal.directory)
        try:
            [kept] = files.store.peer_key_certificates(peer)
            assert (kept.kind, kept.serial) == ("tls", 2)
        finally:
            files.store.close()
        # No session closed across either rotation (nor for any reason a rotation
        # could cause), as the terminal journaled it: the line never went down.
        assert assert_rotation_kept_the_line(terminal.directory, peer) >= 2
