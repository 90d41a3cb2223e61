# ruff: noqa: RUF001
# Russian words and the multiplication sign are what these renderings must say.
"""Reports through the console: counts as JSON and on the page, and the two CSV downloads."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest

from ..conftest import FLIGHT, MEETING, ConsoleClient, Pair


def _traffic(console: ConsoleClient) -> None:
    """Two flight notices, one EXERCISE meeting proposal and a plain text, from Washington."""
    for _ in range(2):
        assert console.notify("flight", FLIGHT).status_code == 201
    assert console.notify("meeting", MEETING, exercise=True).status_code == 201
    console.send("not a notification")


def _today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")


def test_counts_by_period_peer_direction_and_format_without_exercise(alone: ConsoleClient) -> None:
    _traffic(alone)
    report = alone.get("/api/reports?period=month").json()
    month = _today()[:7]
    assert report["rows"] == [
        {
            "period": month,
            "peer": "Moscow",
            "direction": "out",
            "format": "flight",
            "format_title": "Flight notification",
            "count": 2,
        }
    ]
    assert report["total"] == 2
    assert report["exercise"] is False
    with_exercise = alone.get("/api/reports?period=all&exercise=true").json()
    assert {(r["period"], r["format"], r["count"]) for r in with_exercise["rows"]} == {
        ("all", "flight", 2),
        ("all", "meeting", 1),
    }
    assert with_exercise["total"] == 3


def test_days_bound_the_report_both_inclusive(alone: ConsoleClient) -> None:
    _traffic(alone)
    today = _today()
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d")
    assert alone.get(f"/api/reports?since={today}&until={today}").json()["total"] == 2
    assert alone.get(f"/api/reports?since={tomorrow}").json()["rows"] == []
    assert alone.get("/api/reports?until=2000-01-01").json()["total"] == 0
    assert alone.get("/api/reports?since=&until=").json()["total"] == 2  # empty: no bound


def test_format_titles_follow_the_language(alone: ConsoleClient) -> None:
    _traffic(alone)
    alone.post("/api/language", {"language": "ru"})
    [row] = alone.get("/api/reports").json()["rows"]
    assert row["format_title"] == "Уведомление о полётах"


@pytest.mark.parametrize(
    "query",
    [
        "period=week",
        "since=yesterday",
        "since=2026-02-30",
        "since=2026-11-02&until=2026-11-01",
        "exercise=perhaps",
    ],
)
def test_a_bad_query_is_refused(wash: ConsoleClient, query: str) -> None:
    for path in ("/api/reports", "/api/reports/counts.csv", "/api/reports/notifications.csv"):
        response = wash.get(f"{path}?{query}")
        assert response.status_code == 422, (path, query)
        assert response.json()["error"] == "InvalidArgument"


def test_the_counts_download_as_a_csv_attachment(alone: ConsoleClient) -> None:
    _traffic(alone)
    response = alone.get("/api/reports/counts.csv?period=year&exercise=true")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    year = _today()[:4]
    assert response.headers["content-disposition"] == (
        'attachment; filename="hotline-Washington-counts-year-with-exercise.csv"'
    )
    assert response.headers["cache-control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows == [
        ["period", "peer", "direction", "format", "count"],
        [year, "Moscow", "out", "flight", "2"],
        [year, "Moscow", "out", "meeting", "1"],
    ]


def test_every_notification_downloads_as_a_csv_attachment(alone: ConsoleClient) -> None:
    _traffic(alone)
    today = _today()
    response = alone.get(f"/api/reports/notifications.csv?since={today}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    disposition = response.headers["content-disposition"]
    assert (
        disposition
        == f'attachment; filename="hotline-Washington-notifications-month-from-{today}.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [row["format"] for row in rows] == ["flight", "flight"]  # no exercise, no text
    assert all('"aircraft_type": "Tu-95MS"' in row["data"] for row in rows)


def test_every_role_reads_reports(pair: Pair) -> None:
    console = pair.washington
    console.login_as("wash-auditor")
    assert console.get("/api/reports").status_code == 200
    assert console.get("/api/reports/counts.csv").status_code == 200
    page = console.get("/reports")
    assert page.status_code == 200
    assert 'id="nav-reports"' in page.text


def test_the_reports_page_shows_the_counts_and_links_the_downloads(alone: ConsoleClient) -> None:
    _traffic(alone)
    html = alone.get("/reports?period=day&exercise=true").text
    for hook in (
        '<select id="report-period"',
        'type="checkbox" id="report-exercise"',
        'id="report-since"',
        'id="report-until"',
        'id="report-apply"',
        'id="report-table"',
        'id="report-total">3<',
    ):
        assert hook in html, hook
    assert re.search(r'<option value="day" selected>', html)
    assert re.search(r'id="report-exercise" name="exercise" value="true" checked', html)
    rows = re.findall(
        r'data-testid="report-row"[^>]*data-format="([a-z-]+)" data-count="(\d+)"', html
    )
    assert sorted(rows) == [("flight", "2"), ("meeting", "1")]
    assert 'href="/api/reports/counts.csv?period=day&amp;exercise=true"' in html
    assert 'href="/api/reports/notifications.csv?period=day&amp;exercise=true"' in html
    empty = alone.get("/reports?since=2000-01-01&until=2000-01-31").text
    assert 'id="report-empty"' in empty
    assert 'id="report-total">0<' in empty
