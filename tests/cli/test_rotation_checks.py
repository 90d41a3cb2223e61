"""The rotation tests' judge of the line (rotation_checks.py) fails when a session drops."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hotline.terminal import init_terminal

from .rotation_checks import assert_rotation_kept_the_line

AT = "2026-12-02T08:00:00.000000Z"


def _journaled(directory: Path, *entries: tuple[str, dict[str, Any]]) -> Path:
    files = init_terminal(directory, party="Washington", listen=["127.0.0.1:7000"])
    try:
        for kind, data in entries:
            files.store.append_journal(kind=kind, at=AT, data=data)
    finally:
        files.store.close()
    return directory


_UP = ("link up", {"peer": "Moscow", "route": "r"})
_ROTATED = ("key rotated", {"kind": "tls"})
_ROUND_TRIP = ("receipt received", {"peer": "Moscow", "id": "m1"})


def test_a_session_kept_across_the_rotation_holds(tmp_path: Path) -> None:
    directory = _journaled(tmp_path / "w", _UP, _ROTATED, _ROUND_TRIP)
    assert assert_rotation_kept_the_line(directory, "Moscow") == 1


@pytest.mark.parametrize(
    ("entries", "why"),
    [
        (
            (
                _UP,
                _ROTATED,
                ("link down", {"peer": "Moscow", "reason": "presumed dead"}),
                _UP,
                _ROUND_TRIP,
            ),
            "the session changed across key rotated",
        ),
        (
            (
                _UP,
                _ROTATED,
                _ROUND_TRIP,
                ("link down", {"peer": "Moscow", "reason": "protocol error from peer: bad sk"}),
            ),
            "a session ended",
        ),
        ((_UP, _ROTATED), "no traffic both ways"),
        ((_UP, _ROTATED, _ROUND_TRIP, ("refusal", {"what": "envelope"})), "refused"),
    ],
)
def test_a_drop_across_a_rotation_or_for_its_reasons_fails(
    tmp_path: Path, entries: tuple[tuple[str, dict[str, Any]], ...], why: str
) -> None:
    directory = _journaled(tmp_path / "w", *entries)
    with pytest.raises(AssertionError, match=why):
        assert_rotation_kept_the_line(directory, "Moscow")
