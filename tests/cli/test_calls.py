"""``hotline calls``: the call record from the CLI, with the terminal running or not."""

from __future__ import annotations

import json
from pathlib import Path

from hotline.store import CallRecord, Direction, open_store

from .helpers import TerminalProcess, hotline, init_unprotected

FP_OURS = "sha-256 " + ":".join(["AB"] * 32)
FP_THEIRS = "sha-256 " + ":".join(["CD"] * 32)


def _record_calls(directory: Path) -> None:
    store = open_store(directory, create=False)
    try:
        store.put_call(
            CallRecord(
                id="call-1",
                peer="Moscow",
                direction=Direction.OUT,
                channel="leaders",
                kind="video",
                state="ended",
                requested_at="2026-11-23T16:00:00.000000Z",
                answered_at="2026-11-23T16:00:04.000000Z",
                ended_at="2026-11-23T17:45:04.500000Z",
                outcome="completed",
                our_fingerprint=FP_OURS,
                peer_fingerprint=FP_THEIRS,
                placed_by="was-op",
                answered_by="mos-op",
                ended_by="was-op",
            )
        )
        store.put_call(
            CallRecord(
                id="call-2",
                peer="Moscow",
                direction=Direction.IN,
                channel="military",
                kind="audio",
                state="ended",
                requested_at="2026-11-23T18:00:00.000000Z",
                ended_at="2026-11-23T18:01:00.000000Z",
                outcome="missed",
                reason="no answer within 60 s",
                peer_fingerprint=FP_THEIRS,
                placed_by="mos-op",
            )
        )
    finally:
        store.close()


def test_calls_lists_the_record_offline_and_online(tmp_path: Path) -> None:
    directory = tmp_path / "washington"
    init_unprotected(directory, "Washington")
    assert hotline("calls", directory).stdout == "no calls\n"
    _record_calls(directory)

    offline = json.loads(hotline("calls", directory, "--json").stdout)
    assert [c["id"] for c in offline] == ["call-2", "call-1"]
    missed, completed = offline
    assert completed["caller"] == "Washington"
    assert completed["callee"] == "Moscow"
    assert completed["duration"] == 6300.5  # 1 h 45 min, as the 1963 line never could
    assert (completed["our_fingerprint"], completed["peer_fingerprint"]) == (FP_OURS, FP_THEIRS)
    assert (missed["caller"], missed["callee"], missed["outcome"]) == (
        "Moscow",
        "Washington",
        "missed",
    )
    assert missed["duration"] is None

    text = hotline("calls", directory).stdout
    assert "video Washington -> Moscow on leaders  completed  6300.5 s" in text
    assert "(no answer within 60 s)" in text
    assert FP_OURS in text

    running = TerminalProcess(directory)
    running.start()
    try:
        online = json.loads(hotline("calls", directory, "--json", "--limit", "1").stdout)
        assert online == offline[:1]
    finally:
        running.stop()
    bad = hotline("calls", directory, "--limit", "0", check=False)
    assert bad.returncode != 0
    assert "--limit must be 1 to 10000" in bad.stderr
