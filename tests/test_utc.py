"""UTC timestamps and time groups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.utc import format_utc, from_epoch, parse_utc, time_group


def test_time_group_is_day_hour_minute_zulu() -> None:
    assert time_group(datetime(1973, 10, 23, 16, 0, tzinfo=UTC)) == "231600Z"
    moscow = timezone(timedelta(hours=3))
    assert time_group(datetime(2026, 11, 24, 1, 5, tzinfo=moscow)) == "232205Z"


def test_format_and_parse() -> None:
    moment = datetime(2026, 11, 22, 4, 31, 14, 123456, tzinfo=UTC)
    assert format_utc(moment) == "2026-11-22T04:31:14.123456Z"
    assert parse_utc("2026-11-22T04:31:14.123456Z") == moment
    assert format_utc(from_epoch(0)) == "1970-01-01T00:00:00.000000Z"


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-22T04:31:14Z",
        "2026-11-22 04:31:14.123456Z",
        "2026-11-22T04:31:14.123456+00:00",
        "٢٠٢٦-11-22T04:31:14.123456Z",
        "2026-11-22T04:31:14.123456Z\n",
        "",
    ],
)
def test_parse_refuses_other_forms(text: str) -> None:
    with pytest.raises(ValueError, match="not a UTC timestamp"):
        parse_utc(text)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        format_utc(datetime(2026, 1, 1))


@given(
    st.datetimes(
        min_value=datetime(1970, 1, 1), max_value=datetime(9999, 1, 1), timezones=st.just(UTC)
    )
)
def test_round_trip(moment: datetime) -> None:
    assert parse_utc(format_utc(moment)) == moment
    assert format_utc(moment) < format_utc(moment + timedelta(microseconds=1))
