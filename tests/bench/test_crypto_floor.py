"""bench.crypto_floor times the primitives of one message (a smoke run, no figures asserted)."""

from __future__ import annotations

import pytest
from bench.crypto_floor import crypto_floor, main


def test_times_each_primitive_once_each_way(capsys: pytest.CaptureFixture[str]) -> None:
    floor = crypto_floor(n=3)
    assert set(floor) == {"sign", "verify", "seal", "open"}
    assert all(value > 0 for value in floor.values())


def test_main_prints_both_sides(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.argv", ["crypto_floor", "--n", "3"])
    main()
    out = capsys.readouterr().out
    assert "sender per message" in out
    assert "receiver per message" in out
    assert "msg/s" in out
