"""A master change after a rotation of the signing key, through real processes (docs/keys.md §7b).

Washington (its keys sealed) rotates its signing key and switches to it,
then changes its master key. The new master certifies the address (the
first signing key, which names the party on the wire) and the current,
rotated key; Moscow blocks the line until it confirms the new fingerprint,
then accepts both under the new master: messages flow both ways, each once
and in order, across restarts, and ``verify`` and ``audit`` hold on both
sides (what the rotated key signed before the change, under the old master's
certificate, too).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hotline.store import open_store
from hotline.terminal import ControlClient

from .helpers import TerminalProcess, free_port, hotline, init_unprotected, wait_for

PASSPHRASE = "correct horse battery staple"


def _texts(directory: Path, direction: str, env: dict[str, str]) -> list[str]:
    rows: list[dict[str, Any]] = json.loads(
        hotline("messages", directory, "--json", "--limit", "1000", env=env).stdout
    )
    # ``messages`` lists the newest first.
    return [r["text"] for r in rows if r["kind"] == "text" and r["direction"] == direction][::-1]


def _journal_kinds(directory: Path) -> list[str]:
    store = open_store(directory / "hotline.db")
    try:
        return [entry.kind for entry in store.iter_journal()]
    finally:
        store.close()


def _peer_state(directory: Path, party: str) -> str:
    with ControlClient(directory) as client:
        states = {p["party"]: p["state"] for p in client.status()["peers"]}
    return str(states.get(party, "absent"))


def _signing_keys(directory: Path) -> list[tuple[int, str, str]]:
    listed = json.loads(hotline("key", "list", directory, "--json").stdout)
    return [(k["serial"], k["id"], k["state"]) for k in listed["keys"] if k["kind"] == "signing"]


def test_a_master_change_after_a_signing_rotation_carries_both_keys(tmp_path: Path) -> None:
    passphrase = tmp_path / "passphrase"
    passphrase.write_text(PASSPHRASE + "\n", encoding="utf-8")
    env = {"HOTLINE_PASSPHRASE_FILE": str(passphrase)}
    w_dir, m_dir = tmp_path / "washington", tmp_path / "moscow"
    hotline(
        "init", w_dir, "--party", "Washington", "--listen", f"127.0.0.1:{free_port()}",
        "--passphrase-file", passphrase,
    )  # fmt: skip
    init_unprotected(m_dir, "Moscow")
    hotline("peer", "add", w_dir, "-", stdin=hotline("card", m_dir).stdout, env=env)
    hotline("peer", "add", m_dir, "-", stdin=hotline("card", w_dir, env=env).stdout)
    washington = TerminalProcess(w_dir, run_args=("--passphrase-file", passphrase))
    moscow = TerminalProcess(m_dir)
    try:
        washington.start()
        moscow.start()
        hotline("send", w_dir, "--to", "Moscow", "--wait", "Washington 0")
        hotline("send", m_dir, "--to", "Washington", "--wait", "Moscow 0")

        hotline("key", "rotate", w_dir, "--which", "signing")
        wait_for(
            lambda: "signing key switched" in _journal_kinds(w_dir),
            within=60,
            what="Washington's switch to the new signing key",
        )
        (_, address, _), (_, rotated, _) = _signing_keys(w_dir)
        # Signed by the rotated key ("sk"), under the old master's certificate.
        hotline("send", w_dir, "--to", "Moscow", "--wait", "Washington 1")
        hotline("send", m_dir, "--to", "Washington", "--wait", "Moscow 1")

        changed = hotline("key", "change-master", w_dir, "--passphrase-file", passphrase).stdout
        assert "announced to Moscow" in changed
        fingerprint = changed.split("NEW fingerprint: ", 1)[1].splitlines()[0].strip()
        # The new master certified the address again, then the current key (the newest).
        assert _signing_keys(w_dir) == [(3, address, "superseded"), (4, rotated, "current")]

        wait_for(
            lambda: _peer_state(m_dir, "Washington") == "blocked",
            within=60,
            what="Moscow blocks the line to Washington",
        )
        with ControlClient(w_dir) as client:
            client.send(to="Moscow", text="Washington 2")  # waits at Washington
        hotline(
            "peer", "confirm", m_dir, "Washington", "--fingerprint", fingerprint,
            "--method", "phone", "--by", "Duty officer",
        )  # fmt: skip
        wait_for(lambda: _peer_state(m_dir, "Washington") == "up", within=60, what="the line")
        wait_for(
            lambda: "Washington 2" in _texts(m_dir, "in", {}),
            within=60,
            what="the held message at Moscow",
        )
        hotline("send", w_dir, "--to", "Moscow", "--wait", "Washington 3")
        hotline("send", m_dir, "--to", "Washington", "--wait", "Moscow 2")
        # Restarted, Moscow reads Washington's keys from its store afresh.
        washington.stop()
        moscow.stop()
        washington.start()
        moscow.start()
        hotline("send", w_dir, "--to", "Moscow", "--wait", "Washington 4")
        hotline("send", m_dir, "--to", "Washington", "--wait", "Moscow 3")
        from_washington = [f"Washington {i}" for i in range(5)]
        from_moscow = [f"Moscow {i}" for i in range(4)]
        assert _texts(w_dir, "out", env) == from_washington
        assert _texts(m_dir, "in", {}) == from_washington  # each once, in order
        assert _texts(m_dir, "out", {}) == from_moscow
        assert _texts(w_dir, "in", env) == from_moscow
    finally:
        washington.stop()
        moscow.stop()

    for directory, peer, extra in ((w_dir, "Moscow", env), (m_dir, "Washington", {})):
        assert "all hold" in hotline("verify", directory, env=extra).stdout
        bundle = tmp_path / f"{directory.name}.json"
        hotline("export", directory, "--peer", peer, "--output", bundle, env=extra)
        assert "ALL HOLDS" in hotline("audit", bundle).stdout
