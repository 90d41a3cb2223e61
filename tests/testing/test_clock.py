"""The fake clock moves only when told, both clocks together, never backwards."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hotline.testing import FakeClock


def test_starts_at_a_fixed_instant_and_advances_both_clocks() -> None:
    clock = FakeClock()
    assert clock.now() == datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
    start = clock.monotonic()
    clock.advance(90.5)
    assert clock.now() == datetime(2026, 11, 23, 16, 1, 30, 500000, tzinfo=UTC)
    assert clock.monotonic() == start + 90.5


def test_never_goes_backwards() -> None:
    clock = FakeClock(datetime(2000, 1, 1, tzinfo=UTC))
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)
