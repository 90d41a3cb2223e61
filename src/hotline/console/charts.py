"""The reports page's chart: notifications per period and peer, as an SVG the server draws.

One horizontal bar per period, split into one segment per peer (both
directions and every format counted together), its total at its end. The
picture is drawn by the server in user units (no script, nothing to load), and
it is accessible: ``role="img"`` with a title and a description naming the
busiest period, and the same figures as a table beside it, which is what a
screen reader (and anyone copying numbers) reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "BAR_HEIGHT",
    "CHART_WIDTH",
    "LABEL_WIDTH",
    "SERIES",
    "ChartBar",
    "ChartSegment",
    "ReportChart",
    "report_chart",
]

#: The drawing's width in user units; the period labels take the first LABEL_WIDTH.
CHART_WIDTH = 480
LABEL_WIDTH = 96
#: Room for the total written at a bar's end.
TOTAL_WIDTH = 44
BAR_HEIGHT = 22
BAR_GAP = 8
#: How many peer colours console.css defines (chart-series-0 …): then they repeat.
SERIES = 6


@dataclass(frozen=True, slots=True)
class ChartSegment:
    """One peer's part of a period's bar."""

    peer: str
    count: int
    series: int
    x: float
    width: float


@dataclass(frozen=True, slots=True)
class ChartBar:
    """One period: its segments left to right, in the peers' order."""

    period: str
    total: int
    y: float
    segments: tuple[ChartSegment, ...]

    @property
    def end(self) -> float:
        """Where the bar ends (the total is written after it)."""
        return self.segments[-1].x + self.segments[-1].width if self.segments else LABEL_WIDTH


@dataclass(frozen=True, slots=True)
class ReportChart:
    """The bars, the peers (the legend, in order) and the drawing's size."""

    bars: tuple[ChartBar, ...]
    peers: tuple[str, ...]
    width: int
    height: int
    busiest: ChartBar | None

    @property
    def series(self) -> Mapping[str, int]:
        return {peer: index % SERIES for index, peer in enumerate(self.peers)}


def report_chart(rows: Iterable[Mapping[str, Any]]) -> ReportChart:
    """The chart of report rows (``period``, ``peer``, ``count`` each), periods in their order."""
    counts: dict[str, dict[str, int]] = {}
    peers: list[str] = []
    for row in rows:
        period, peer = str(row["period"]), str(row["peer"])
        by_peer = counts.setdefault(period, {})
        by_peer[peer] = by_peer.get(peer, 0) + int(row["count"])
        if peer not in peers:
            peers.append(peer)
    peers.sort()
    series = {peer: index % SERIES for index, peer in enumerate(peers)}
    largest = max((sum(by_peer.values()) for by_peer in counts.values()), default=0)
    scale = (CHART_WIDTH - LABEL_WIDTH - TOTAL_WIDTH) / largest if largest else 0.0
    bars = []
    # Periods are YYYY, YYYY-MM or YYYY-MM-DD texts (or one "all"): they sort as times do.
    for index, period in enumerate(sorted(counts)):
        x = float(LABEL_WIDTH)
        segments = []
        for peer in peers:
            count = counts[period].get(peer, 0)
            if count:
                width = round(count * scale, 2)
                segments.append(ChartSegment(peer, count, series[peer], x, width))
                x = round(x + width, 2)
        bars.append(
            ChartBar(
                period=period,
                total=sum(counts[period].values()),
                y=float(index * (BAR_HEIGHT + BAR_GAP)),
                segments=tuple(segments),
            )
        )
    height = max(1, len(bars) * (BAR_HEIGHT + BAR_GAP) - BAR_GAP)
    busiest = max(bars, key=lambda bar: bar.total, default=None)
    return ReportChart(
        bars=tuple(bars), peers=tuple(peers), width=CHART_WIDTH, height=height, busiest=busiest
    )
