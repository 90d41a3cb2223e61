"""Delivery latency and waiting for delivery: what a running terminal knows about timing.

For every message queued while the daemon runs, the tracker notes the
monotonic time at which it became durable, and when its verified receipt has
been committed it records the difference: the **delivery latency**, from
"the sender holds the message durably" to "the sender holds the verified
receipt durably". It also wakes anyone waiting for a message to be delivered
(``hotline send --wait``, the benchmarks).

Latencies are kept for the most recent ``window`` deliveries only, so the
memory used is bounded however long the terminal runs.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from hotline.terminal.runtime.clock import Clock

__all__ = ["DeliveryStatistics", "DeliveryTracker", "percentile"]


def percentile(sorted_values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of already sorted values (0.0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryStatistics:
    """Delivery counts and latency percentiles (milliseconds) over the recent window."""

    queued: int
    delivered: int
    samples: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    latencies_ms: tuple[float, ...]


class DeliveryTracker:
    """Times deliveries and wakes waiters. Used from the event loop's thread only."""

    def __init__(self, clock: Clock, *, window: int = 100_000) -> None:
        self._clock = clock
        self._queued_at: dict[str, float] = {}
        self._latencies: deque[float] = deque(maxlen=window)
        self._waiters: dict[str, list[asyncio.Future[None]]] = {}
        self._queued_count = 0
        self._delivered_count = 0
        #: Exercise messages: delivered, waited for, never counted.
        self._uncounted: set[str] = set()

    def queued(self, message_id: str, *, counted: bool = True) -> None:
        """The message is durable now (call right after its commit).

        ``counted=False`` (exercise traffic) keeps it out of the counts and latencies;
        waiting for its delivery still works.
        """
        if not counted:
            self._uncounted.add(message_id)
            return
        self._queued_at[message_id] = self._clock.monotonic()
        self._queued_count += 1

    def delivered(self, message_ids: Iterable[str]) -> list[float]:
        """Their verified receipts are durable now (call right after the commit).

        Returns the latencies (seconds) of those queued while this tracker ran.
        """
        now = self._clock.monotonic()
        latencies: list[float] = []
        for message_id in message_ids:
            if message_id in self._uncounted:
                self._uncounted.discard(message_id)
            else:
                self._delivered_count += 1
            started = self._queued_at.pop(message_id, None)
            if started is not None:
                self._latencies.append((now - started) * 1000.0)
                latencies.append(now - started)
            for waiter in self._waiters.pop(message_id, ()):
                if not waiter.done():
                    waiter.set_result(None)
        return latencies

    async def wait(self, message_id: str, within: float) -> bool:
        """Wait until ``message_id`` is reported delivered; False if ``within`` seconds pass first.

        The caller checks the store first: a message delivered before this call
        is never reported here again.
        """
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(message_id, []).append(waiter)
        try:
            async with asyncio.timeout(within):
                await waiter
        except TimeoutError:
            return False
        finally:
            waiters = self._waiters.get(message_id)
            if waiters is not None and waiter in waiters:
                waiters.remove(waiter)
                if not waiters:
                    del self._waiters[message_id]
        return True

    def reset(self) -> None:
        """Forget the recorded latencies (counts are kept)."""
        self._latencies.clear()

    def statistics(self) -> DeliveryStatistics:
        values = sorted(self._latencies)
        return DeliveryStatistics(
            queued=self._queued_count,
            delivered=self._delivered_count,
            samples=len(values),
            p50_ms=percentile(values, 0.50),
            p90_ms=percentile(values, 0.90),
            p99_ms=percentile(values, 0.99),
            max_ms=values[-1] if values else 0.0,
            latencies_ms=tuple(self._latencies),
        )
