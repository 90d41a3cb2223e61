"""The console's report query: periods, whole UTC days both inclusive, URL parameters, file names."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.console import PERIOD_LABELS, ReportQuery, csv_filename
from hotline.errors import InvalidArgument
from hotline.terminal.desks.notifications import PERIODS


def test_every_period_the_terminal_counts_by_is_offered() -> None:
    assert set(PERIOD_LABELS) == set(PERIODS)


def test_days_become_the_terminals_bounds_with_the_last_day_included() -> None:
    query = ReportQuery(period="day", since="2026-11-01", until="2026-11-30")
    assert query.bounds() == ("2026-11-01T00:00:00.000000Z", "2026-12-01T00:00:00.000000Z")
    assert ReportQuery().bounds() == (None, None)
    assert ReportQuery(until="2026-12-31").bounds() == (None, "2027-01-01T00:00:00.000000Z")


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"period": "week"}, "period must be one of"),
        ({"since": "23/11/2026"}, "since must be a day"),
        ({"until": "2026-11-31"}, "until is not a real day"),
        ({"since": "2026-11-02", "until": "2026-11-01"}, "until must not be before since"),
    ],
)
def test_a_bad_query_is_an_invalid_argument(fields: dict[str, str], says: str) -> None:
    with pytest.raises(InvalidArgument, match=says):
        ReportQuery(**fields)  # type: ignore[arg-type]


def test_empty_days_from_a_form_are_no_bound() -> None:
    query = ReportQuery.parse(period="year", since="", until="  ", exercise=False)
    assert query == ReportQuery(period="year")
    assert query.params() == {"period": "year"}


def test_file_names_are_safe_in_a_header() -> None:
    query = ReportQuery(period="month", since="2026-11-01", exercise=True)
    assert csv_filename("Washington", "counts", query) == (
        "hotline-Washington-counts-month-from-2026-11-01-with-exercise.csv"
    )
    odd = csv_filename('Белый "дом"; x', "notifications", ReportQuery(period="all"))
    assert odd == "hotline-x-notifications-all.csv"
    assert all(ch.isascii() and ch not in '";\\' for ch in odd)


days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))


@given(
    st.sampled_from(sorted(PERIODS)),
    st.one_of(st.none(), days),
    st.integers(min_value=0, max_value=400),
    st.booleans(),
)
def test_a_query_survives_its_url_parameters(
    period: str, since: date | None, span: int, exercise: bool
) -> None:
    until = None if since is None else since + timedelta(days=span)
    query = ReportQuery(
        period=period,
        since=None if since is None else since.isoformat(),
        until=None if until is None else until.isoformat(),
        exercise=exercise,
    )
    params = query.params()
    again = ReportQuery.parse(
        period=params["period"],
        since=params.get("since"),
        until=params.get("until"),
        exercise=params.get("exercise") == "true",
    )
    assert again == query
    low, high = query.bounds()
    assert (low is None) == (since is None)
    if low is not None and high is not None:
        assert low < high  # the last day is included: the bound is the day after
