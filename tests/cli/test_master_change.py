"""``hotline key change-master`` through real processes: the line is blocked until confirmed.

Washington changes its master key while the pair exchanges messages. Moscow
keeps the change pending and blocks the line: its status and peer list say
so, sending to Washington is refused, Washington's messages wait (nothing is
lost), and the block survives a restart. Confirming with the old fingerprint
is refused; confirming the new one unblocks the line: every held message
arrives once, in order, and ``hotline verify`` holds on both sides.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hotline.terminal import ControlClient, open_terminal

from .helpers import TerminalProcess, hotline, make_mesh, wait_for

BLOCKED = "blocked: master key changed, fingerprint not confirmed"


def _texts(terminal: TerminalProcess, direction: str) -> list[str]:
    rows: list[dict[str, Any]] = json.loads(
        hotline("messages", terminal.directory, "--json", "--limit", "1000").stdout
    )
    # ``messages`` lists the newest first.
    return [r["text"] for r in rows if r["kind"] == "text" and r["direction"] == direction][::-1]


def _out_states(terminal: TerminalProcess) -> dict[str, str]:
    rows: list[dict[str, Any]] = json.loads(
        hotline("messages", terminal.directory, "--json", "--limit", "1000").stdout
    )
    return {r["text"]: r["state"] for r in rows if r["direction"] == "out" and r["kind"] == "text"}


def _peer_state(terminal: TerminalProcess, party: str) -> str:
    with ControlClient(terminal.directory) as client:
        states = {p["party"]: p["state"] for p in client.status()["peers"]}
    return str(states.get(party, "absent"))


def _journal_kinds(terminal: TerminalProcess) -> list[str]:
    files = open_terminal(terminal.directory)
    try:
        return [entry.kind for entry in files.store.iter_journal()]
    finally:
        files.store.close()


def test_a_master_change_blocks_the_line_until_the_new_fingerprint_is_confirmed(
    tmp_path: Path,
) -> None:
    terminals = make_mesh(tmp_path, ("Washington", "Moscow"))
    washington, moscow = terminals["Washington"], terminals["Moscow"]
    old_fingerprint = json.loads(hotline("key", "list", washington.directory, "--json").stdout)[
        "fingerprint"
    ]
    try:
        washington.start()
        moscow.start()
        hotline("send", washington.directory, "--to", "Moscow", "--wait", "Washington 0")
        hotline("send", moscow.directory, "--to", "Washington", "--wait", "Moscow 0")

        changed = hotline("key", "change-master", washington.directory).stdout
        assert "NEW fingerprint: " in changed
        assert "announced to Moscow" in changed
        new_fingerprint = changed.split("NEW fingerprint: ", 1)[1].splitlines()[0].strip()
        assert new_fingerprint != old_fingerprint
        listed = json.loads(hotline("key", "list", washington.directory, "--json").stdout)
        assert listed["fingerprint"] == new_fingerprint
        assert (washington.directory / "keys" / "master-1.key").exists()

        wait_for(
            lambda: _peer_state(moscow, "Washington") == "blocked",
            within=60,
            what="Moscow blocks the line to Washington",
        )
        status = hotline("status", moscow.directory).stdout
        assert BLOCKED in status
        assert "Washington changed its master key on " in status
        assert "MASTER-CHANGED" in status  # the alarm
        peers = hotline("peer", "list", moscow.directory).stdout
        assert BLOCKED in peers
        assert new_fingerprint in peers
        refused = hotline("send", moscow.directory, "--to", "Washington", "refused", check=False)
        assert refused.returncode == 1
        assert "changed its master key" in refused.stderr
        assert "hotline peer confirm" in refused.stderr
        assert "nothing was sent" in refused.stderr

        # Washington's messages wait: Moscow refuses its sessions, nothing is lost.
        with ControlClient(washington.directory) as client:
            for index in range(1, 6):
                client.send(to="Moscow", text=f"Washington {index}")
        moscow.stop()
        moscow.start()  # the block is in the store: it survives a restart
        assert _peer_state(moscow, "Washington") == "blocked"
        held = _out_states(washington)
        assert all(held[f"Washington {i}"] != "delivered" for i in range(1, 6)), held

        stale = hotline(
            "peer", "confirm", moscow.directory, "Washington",
            "--fingerprint", old_fingerprint, "--method", "phone", "--by", "Duty officer",
            check=False,
        )  # fmt: skip
        assert stale.returncode == 1
        assert "a new master is pending" in stale.stderr
        assert _peer_state(moscow, "Washington") == "blocked"

        hotline(
            "peer", "confirm", moscow.directory, "Washington",
            "--fingerprint", new_fingerprint, "--method", "phone", "--by", "Duty officer",
        )  # fmt: skip
        wait_for(
            lambda: _peer_state(moscow, "Washington") == "up",
            within=60,
            what="the line comes back",
        )
        wait_for(
            lambda: all(s == "delivered" for s in _out_states(washington).values()),
            within=60,
            what="Washington's held messages delivered",
        )
        hotline("send", moscow.directory, "--to", "Washington", "--wait", "Moscow 1")
        # Restarted, Washington still presents the leaf its old master issued: Moscow keeps
        # that master's certificate as an anchor of Washington's, so the line comes back.
        washington.stop()
        washington.start()
        hotline("send", washington.directory, "--to", "Moscow", "--wait", "Washington 6")
        with ControlClient(moscow.directory) as client:
            assert not [a for a in client.status()["alarms"] if a["kind"] == "master-changed"]
        peers = hotline("peer", "list", moscow.directory).stdout
        assert BLOCKED not in peers
        assert new_fingerprint in peers
        assert "confirmed by Duty officer (phone)" in peers
        from_washington = [f"Washington {i}" for i in range(7)]
        assert _texts(washington, "out") == from_washington
        assert _texts(moscow, "in") == from_washington  # each once, in order
        assert _texts(washington, "in") == ["Moscow 0", "Moscow 1"]
    finally:
        washington.stop()
        moscow.stop()
    for terminal, peer in ((washington, "Moscow"), (moscow, "Washington")):
        assert "all hold" in hotline("verify", terminal.directory).stdout
        bundle = tmp_path / f"{terminal.directory.name}.json"
        hotline("export", terminal.directory, "--peer", peer, "--output", bundle)
        assert "ALL HOLDS" in hotline("audit", bundle).stdout
    assert "master key changed" in _journal_kinds(washington)
    kinds = _journal_kinds(moscow)
    assert kinds.index("peer master changed (pending)") < kinds.index("peer master confirmed")
