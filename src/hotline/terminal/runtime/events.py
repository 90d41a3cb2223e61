"""Change notices for live views: the console learns within a second that something changed.

The terminal calls :meth:`EventHub.publish` whenever something a person watches
changes: a message queued, received, delivered or acknowledged, an alarm, the
state of a line. Watchers (the console's server-sent-event streams) call
:meth:`EventHub.wait` with the last sequence number they saw and get every
notice after it. Notices are small hints ("messages changed"), not the data:
the watcher re-reads what it shows through the normal API, so a missed or
coalesced notice can never leave a view wrong, only late.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass

__all__ = ["EventHub", "Notice"]

#: Notices kept for watchers that fall behind; older ones are coalesced into "everything".
_KEPT = 256


@dataclass(frozen=True, slots=True, kw_only=True)
class Notice:
    seq: int
    topic: str  # "messages" | "alarms" | "lines" | "shift" | "everything"
    detail: str = ""


class EventHub:
    """A sequence of change notices, for any number of watchers on the event loop."""

    def __init__(self) -> None:
        self._seq = 0
        self._kept: deque[Notice] = deque(maxlen=_KEPT)
        self._changed = asyncio.Event()

    @property
    def seq(self) -> int:
        return self._seq

    def publish(self, topic: str, detail: str = "") -> None:
        self._seq += 1
        self._kept.append(Notice(seq=self._seq, topic=topic, detail=detail))
        self._changed.set()
        # A fresh event for the next change; waiters on the old one wake now.
        self._changed = asyncio.Event()

    def since(self, seq: int) -> list[Notice]:
        """Every notice after ``seq``; one "everything" notice if some were dropped."""
        if seq >= self._seq:
            return []
        if not self._kept or self._kept[0].seq > seq + 1:
            return [Notice(seq=self._seq, topic="everything")]
        return [notice for notice in self._kept if notice.seq > seq]

    async def wait(self, seq: int, *, within: float) -> list[Notice]:
        """Notices after ``seq``, waiting up to ``within`` seconds for one; [] on timeout."""
        if seq < self._seq:
            return self.since(seq)
        changed = self._changed
        try:
            async with asyncio.timeout(within):
                await changed.wait()
        except TimeoutError:
            return []
        return self.since(seq)
