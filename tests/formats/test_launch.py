# ruff: noqa: RUF001  (Russian text and typographic signs are what is being tested)
"""Launch notices: the 24-hour lead time, the late-notice override and flag, and every field."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings

from hotline.errors import NotificationInvalid
from hotline.formats import LANGUAGES, LAUNCH, LAUNCH_LEAD_TIME, PHRASES, Problem
from hotline.utc import format_utc, parse_utc

from .examples import DROP, NOW, example, generic, leaf_paths, problem_paths, with_value
from .strategies import launches


def starting(after: timedelta, now: datetime = NOW) -> dict[str, Any]:
    """The example launch, its window starting ``after`` from ``now`` and lasting two hours."""
    start = now + after
    window = {"start": format_utc(start), "end": format_utc(start + timedelta(hours=2))}
    return with_value(example("launch"), "window", window)


def test_the_lead_time_is_a_day() -> None:
    assert timedelta(hours=24) == LAUNCH_LEAD_TIME


def test_twelve_hours_is_refused_without_the_override() -> None:
    with pytest.raises(NotificationInvalid) as caught:
        LAUNCH.validate(starting(timedelta(hours=12)), now=NOW)
    assert caught.value.problems == (Problem("window.start", "late_notice"),)
    assert caught.value.problems[0].message == (
        "less than 24 h before the launch window: needs the explicit late-notice override"
    )


def test_twelve_hours_is_accepted_and_flagged_with_the_override() -> None:
    data = LAUNCH.validate(starting(timedelta(hours=12)), now=NOW, override=True)
    assert data["late_notice"] is True


def test_twenty_five_hours_is_fine_without_the_override() -> None:
    assert LAUNCH.validate(starting(timedelta(hours=25)), now=NOW)["late_notice"] is False
    # The override is consent, not a flag: an on-time notice is not marked late.
    assert (
        LAUNCH.validate(starting(timedelta(hours=25)), now=NOW, override=True)["late_notice"]
        is False
    )


def test_the_boundary_is_exactly_twenty_four_hours() -> None:
    assert LAUNCH.validate(starting(LAUNCH_LEAD_TIME), now=NOW)["late_notice"] is False
    almost = LAUNCH_LEAD_TIME - timedelta(microseconds=1)
    assert problem_paths(LAUNCH, starting(almost)) == ["window.start"]


def test_a_window_already_begun_needs_the_override_too() -> None:
    assert problem_paths(LAUNCH, starting(-timedelta(hours=1))) == ["window.start"]
    late = LAUNCH.validate(starting(-timedelta(hours=1)), now=NOW, override=True)
    assert late["late_notice"] is True


def test_the_flag_is_recomputed_when_now_is_given() -> None:
    claimed = with_value(starting(timedelta(hours=30)), "late_notice", True)
    assert LAUNCH.validate(claimed, now=NOW)["late_notice"] is False
    denied = with_value(starting(timedelta(hours=2)), "late_notice", False)
    assert problem_paths(LAUNCH, denied) == ["window.start"]


def test_without_now_the_flag_is_kept_as_given() -> None:
    flagged = with_value(starting(timedelta(hours=2)), "late_notice", True)
    assert LAUNCH.validate(flagged, now=None)["late_notice"] is True
    assert LAUNCH.validate(starting(timedelta(hours=2)), now=None)["late_notice"] is False


def test_a_late_notice_and_other_problems_are_reported_together() -> None:
    data = with_value(starting(timedelta(hours=2)), "launch_area", DROP)
    assert problem_paths(LAUNCH, data) == ["launch_area", "window.start"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_late_notice_says_so_in_every_language(language: str) -> None:
    late = LAUNCH.validate(starting(timedelta(hours=12)), now=NOW, override=True)
    text = LAUNCH.render(late, language)
    assert text.splitlines()[1] == PHRASES["late_notice"][language]
    assert PHRASES["late_notice_short"][language] in LAUNCH.summary(late, language)
    on_time = LAUNCH.validate(starting(timedelta(hours=25)), now=NOW)
    assert PHRASES["late_notice_short"][language] not in LAUNCH.render(on_time, language)
    assert PHRASES["late_notice_short"][language] not in LAUNCH.summary(on_time, language)


def test_a_launch_reads_in_english_and_russian() -> None:
    data = LAUNCH.validate(example("launch"), now=NOW)
    assert LAUNCH.render(data, "en") == (
        "BALLISTIC MISSILE LAUNCH NOTIFICATION (launch v1)\n"
        "Planned launch window: 23 November 2026, 14:00 UTC – 23 November 2026, 16:00 UTC\n"
        "Launch area: Plesetsk\n"
        "Impact area: circle, centre 62.9° N, 160.1° E, radius 25 NM"
    )
    assert LAUNCH.render(data, "ru").splitlines()[3] == (
        "Район падения: круг с центром 62,9° с. ш. 160,1° в. д., радиус 25 морских миль"
    )


@settings(deadline=None)
@given(launches(min_start=NOW + LAUNCH_LEAD_TIME + timedelta(seconds=1)))
def test_any_notice_a_day_ahead_needs_no_override(data: dict[str, Any]) -> None:
    assert LAUNCH.validate(data, now=NOW)["late_notice"] is False


@settings(deadline=None)
@given(launches())
def test_with_the_override_the_flag_says_whether_the_notice_was_late(data: dict[str, Any]) -> None:
    clean = LAUNCH.validate(data, now=NOW, override=True)
    start = parse_utc(clean["window"]["start"])
    assert clean["late_notice"] is (start - NOW < LAUNCH_LEAD_TIME)


POINTS = [{"lat": 1, "lon": 2}, {"lat": 3, "lon": 4}, {"lat": 5, "lon": 6}]

#: (path to change, bad value, the path the problem must name), on a notice 3 days ahead.
CASES: list[tuple[str, Any, str]] = [
    ("window", DROP, "window"),
    ("window.start", "soon", "window.start"),
    ("window.start", DROP, "window.start"),
    ("window.end", "2026-11-23T13:00:00Z", "window.end"),
    ("window.end", 5, "window.end"),
    ("launch_area", DROP, "launch_area"),
    ("launch_area", {"name": ""}, "launch_area.name"),
    ("launch_area", {"polygon": POINTS[:2]}, "launch_area.polygon"),
    (
        "launch_area",
        {"polygon": [*POINTS[:2], {"lat": 95, "lon": 0}]},
        "launch_area.polygon[2].lat",
    ),
    (
        "launch_area",
        {"polygon": [*POINTS[:2], {"lat": 0, "lon": 190}]},
        "launch_area.polygon[2].lon",
    ),
    (
        "launch_area",
        {"circle": {"centre": {"lat": -95, "lon": 0}, "radius": 5, "unit": "km"}},
        "launch_area.circle.centre.lat",
    ),
    (
        "launch_area",
        {"circle": {"centre": {"lat": 0, "lon": -190}, "radius": 5, "unit": "km"}},
        "launch_area.circle.centre.lon",
    ),
    (
        "launch_area",
        {"circle": {"centre": {"lat": 0, "lon": 0}, "radius": -5, "unit": "km"}},
        "launch_area.circle.radius",
    ),
    (
        "launch_area",
        {"circle": {"centre": {"lat": 0, "lon": 0}, "radius": 5, "unit": "m"}},
        "launch_area.circle.unit",
    ),
    ("impact_area", DROP, "impact_area"),
    ("impact_area", {"name": "Kura"}, "impact_area.name"),
    ("impact_area", {"polygon": POINTS[:2]}, "impact_area.polygon"),
    (
        "impact_area",
        {"polygon": [*POINTS[:2], {"lat": "5", "lon": 6}]},
        "impact_area.polygon[2].lat",
    ),
    ("impact_area", {"polygon": [*POINTS[:2], {"lat": 5}]}, "impact_area.polygon[2].lon"),
    ("impact_area.circle.centre.lat", None, "impact_area.circle.centre.lat"),
    ("impact_area.circle.centre.lon", 180.01, "impact_area.circle.centre.lon"),
    ("impact_area.circle.radius", 0, "impact_area.circle.radius"),
    ("impact_area.circle.radius", DROP, "impact_area.circle.radius"),
    ("impact_area.circle.unit", "NMI", "impact_area.circle.unit"),
    ("late_notice", "yes", "late_notice"),
]


@pytest.mark.parametrize(("path", "value", "expected"), CASES)
def test_a_bad_field_is_named(path: str, value: Any, expected: str) -> None:
    assert problem_paths(LAUNCH, with_value(example("launch"), path, value)) == [expected]


def test_every_field_has_a_bad_value_in_the_table() -> None:
    covered = {generic(expected) for _, _, expected in CASES}
    assert leaf_paths(LAUNCH.fields) - covered == set()
