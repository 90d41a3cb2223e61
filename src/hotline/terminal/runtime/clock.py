"""Where the terminal reads time: one small protocol, so tests can pass a fake clock.

The wall clock (UTC) stamps envelopes, receipts and the journal; the monotonic
clock times heartbeats and redials, which must not jump when NTP steps the
wall clock.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol

__all__ = ["Clock", "SystemClock"]


class Clock(Protocol):
    """A source of wall-clock (UTC) and monotonic time."""

    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards."""
        ...


class SystemClock:
    """The machine's clocks."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()
