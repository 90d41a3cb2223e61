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


# The implementations before the fast paths, kept to prove the outputs unchanged.
def _old_format_utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: hotline times must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"


def _old_parse_utc(text: str) -> datetime:
    import re

    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z", text):
        raise ValueError("not a UTC timestamp")
    return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)


def _old_time_group(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return f"{moment.day:02d}{moment.hour:02d}{moment.minute:02d}Z"


_ZONES = st.just(UTC) | st.builds(
    timezone, st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23))
)
_MOMENTS = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(9998, 12, 30), timezones=_ZONES
)


@given(_MOMENTS)
def test_format_and_time_group_match_the_old_implementation(moment: datetime) -> None:
    assert format_utc(moment) == _old_format_utc(moment)
    assert time_group(moment) == _old_time_group(moment)


@given(_MOMENTS.map(_old_format_utc) | st.text(max_size=30))
def test_parse_matches_the_old_implementation(text: str) -> None:
    try:
        old: datetime | None = _old_parse_utc(text)
    except ValueError:
        old = None
    try:
        new: datetime | None = parse_utc(text)
    except ValueError:
        new = None
    assert new == old
    if new is not None and old is not None:
        assert new.tzinfo is old.tzinfo is UTC
        assert new.utcoffset() == old.utcoffset()


@given(_MOMENTS, st.lists(st.integers(-2_000_000, 2_000_000), max_size=20), st.integers(1, 9998))
def test_format_reuses_a_second_only_for_that_second(
    moment: datetime, steps: list[int], year: int
) -> None:
    # Runs of the same second (the cache hits), neighbours, and the same day and
    # time of another year (a key that differs in the year only).
    moments = [moment + timedelta(microseconds=step) for step in steps]
    moments.append(moment.astimezone(UTC).replace(year=year, month=1, day=1))
    moments.append(moment.astimezone(UTC).replace(month=1, day=1))
    for each in moments:
        assert format_utc(each) == _old_format_utc(each)
