"""Capped exponential backoff for redialing a peer, with injected randomness.

A policy object, not a loop: the dialer asks :meth:`Backoff.next_delay` how
long to wait after a failure and calls :meth:`Backoff.reset` after a success.
Jitter (a random factor in ``[1 - jitter, 1]``) keeps two terminals that lost
the line at the same instant from redialing in lockstep forever.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Backoff"]


@dataclass(slots=True, kw_only=True)
class Backoff:
    """Delays of ``initial * factor**n`` seconds, capped at ``cap``, with jitter."""

    initial: float = 0.1
    factor: float = 2.0
    cap: float = 2.0
    jitter: float = 0.25
    uniform: Callable[[], float] = field(default=random.random)
    _failures: int = 0

    def __post_init__(self) -> None:
        if not (0 < self.initial <= self.cap):
            raise ValueError("backoff needs 0 < initial <= cap")
        if self.factor < 1 or not (0 <= self.jitter < 1):
            raise ValueError("backoff needs factor >= 1 and 0 <= jitter < 1")

    @property
    def failures(self) -> int:
        """How many failures in a row since the last success."""
        return self._failures

    def next_delay(self) -> float:
        """Record one more failure; return how long to wait before the next try."""
        raw = self.initial
        # Grow step by step and stop at the cap: factor**failures would overflow
        # a float after ~1,000 failures (half an hour of a dead peer at a 2 s cap).
        for _ in range(self._failures):
            raw *= self.factor
            if raw >= self.cap:
                raw = self.cap
                break
        self._failures += 1
        return raw * (1.0 - self.jitter * self.uniform())

    def reset(self) -> None:
        """Forget past failures (call after a successful connection)."""
        self._failures = 0
