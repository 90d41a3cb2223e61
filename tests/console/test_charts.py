"""The reports chart: one bar per period, a segment per peer, scaled to the busiest period."""

from __future__ import annotations

import pytest

from hotline.console.charts import CHART_WIDTH, LABEL_WIDTH, SERIES, report_chart


def _row(period: str, peer: str, count: int, direction: str = "out") -> dict[str, object]:
    return {"period": period, "peer": peer, "count": count, "direction": direction}


def test_periods_in_order_with_a_segment_per_peer_and_both_directions_summed() -> None:
    chart = report_chart(
        [
            _row("2026-11", "Moscow", 3),
            _row("2026-10", "Moscow", 1),
            _row("2026-11", "Beijing", 2),
            _row("2026-11", "Moscow", 1, direction="in"),
        ]
    )
    assert [bar.period for bar in chart.bars] == ["2026-10", "2026-11"]
    assert chart.peers == ("Beijing", "Moscow")
    november = chart.bars[1]
    assert november.total == 6
    assert [(s.peer, s.count) for s in november.segments] == [("Beijing", 2), ("Moscow", 4)]
    assert chart.busiest is november
    # Segments follow one another from the labels; the busiest bar leaves room for its total.
    assert november.segments[0].x == LABEL_WIDTH
    assert november.segments[1].x == pytest.approx(
        november.segments[0].x + november.segments[0].width
    )
    assert LABEL_WIDTH < november.end < CHART_WIDTH
    # A peer keeps its colour in every bar.
    assert chart.bars[0].segments[0].series == november.segments[1].series == chart.series["Moscow"]
    assert chart.bars[0].segments[0].width * 6 == pytest.approx(november.end - LABEL_WIDTH, abs=0.1)
    assert chart.bars[1].y > chart.bars[0].y
    assert chart.height >= 2 * 22


def test_no_rows_no_bars() -> None:
    chart = report_chart([])
    assert chart.bars == ()
    assert chart.busiest is None
    assert chart.height > 0


def test_colours_repeat_after_the_palette() -> None:
    rows = [_row("2026", f"peer-{index:02d}", 1) for index in range(SERIES + 1)]
    chart = report_chart(rows)
    assert chart.series["peer-00"] == chart.series[f"peer-{SERIES:02d}"] == 0
