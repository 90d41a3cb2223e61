"""bench.idle_penalty times the same work back to back and after pauses (a smoke run)."""

from __future__ import annotations

import pytest
from bench.idle_penalty import GAPS_MS, idle_penalty, main


def test_every_unit_is_timed_under_every_condition() -> None:
    results = idle_penalty(n=3)
    assert set(results) == {"decode + verify", "decode alone"}
    for timings in results.values():
        assert len(timings) == len(GAPS_MS) + 1
        assert "back to back" in timings
        assert all(micros > 0 for micros in timings.values())


def test_main_prints_ratios_and_refuses_a_bad_count(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.argv", ["idle_penalty", "--n", "3"])
    main()
    out = capsys.readouterr().out
    assert "after sleeping 1.5 ms" in out
    assert "x back to back" in out
    monkeypatch.setattr("sys.argv", ["idle_penalty", "--n", "0"])
    with pytest.raises(SystemExit):
        main()
    assert "--n must be at least 1" in capsys.readouterr().err
