"""Validation problems in the operator's language: every wording hotline.formats uses is known.

The problems here come from real validation of broken notices, not from copies
of the wordings, so a wording changed in ``hotline.formats`` without its
pattern here fails these tests instead of silently reaching a Russian operator
in English.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.console import PROBLEM_PATTERNS, load_catalogues, problems_json, translate_problem
from hotline.errors import NotificationInvalid
from hotline.formats import apply_reply, get_format, transition
from hotline.utc import format_utc

from .conftest import FLIGHT, MEETING

CATALOGUES = load_catalogues()
NOW = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)

#: (format, data): each breaks its format in several ways at once.
BROKEN: list[tuple[str, Any]] = [
    ("flight", {}),
    (
        "flight",
        {
            "aircraft_type": 5,
            "count": "x",
            "closest_approach_km": "x",
            "window": "x",
            "corridor": "x",
            "area": {"name": "Barents Sea"},
            "surprise": True,
        },
    ),
    (
        "flight",
        {
            "aircraft_type": "",
            "count": 1.5,
            "closest_approach_km": float("inf"),
            "corridor": [{"lat": 1, "lon": 1}],
            "window": {"start": "yesterday", "end": "2026-02-30T00:00:00Z"},
        },
    ),
    (
        "flight",
        {
            **FLIGHT,
            "aircraft_type": "x" * 101,
            "closest_approach_km": -1,
            "window": {"start": "2026-11-23T18:00:00Z", "end": "2026-11-23T14:00:00Z"},
        },
    ),
    ("flight", {**FLIGHT, "aircraft_type": "Tu\u202e95", "corridor": None, "area": {}}),
    ("flight", {**FLIGHT, "corridor": None, "area": {"blob": 1}}),
    ("flight", {**FLIGHT, "corridor": None, "area": {"name": "A", "polygon": []}}),
    (
        "launch",
        {
            "window": {
                "start": format_utc(NOW + timedelta(hours=2)),
                "end": format_utc(NOW + timedelta(hours=3)),
            },
            "launch_area": {"name": "Plesetsk"},
            "impact_area": {"circle": {"centre": {"lat": 91, "lon": 0}, "radius": 0, "unit": "mi"}},
            "late_notice": "yes",
        },
    ),
    ("meeting", {**MEETING, "time": "soon", "participants": ["x"] * 51}),
    ("meeting-reply", {"proposal": "a" * 32, "state": "scheduled", "time": "tbd"}),
    ("codeword", {"word": "123", "number": 10_000}),
    ("ceasefire", {"place": {}, "time": "2026-11-23T14:00:00Z", "weapon": "nuclear"}),
]
#: Wordings that name a format's own description: shown in English by design.
ENGLISH_ONLY = ("must be text: ",)


def problems_of(code: str, data: Any) -> tuple[tuple[str, str], ...]:
    with pytest.raises(NotificationInvalid) as caught:
        get_format(code).validate(data, now=NOW)
    return caught.value.problems


def every_problem() -> list[tuple[str, str]]:
    found = [problem for code, data in BROKEN for problem in problems_of(code, data)]
    with pytest.raises(NotificationInvalid) as caught:
        transition("proposed", "held")
    found += caught.value.problems
    with pytest.raises(NotificationInvalid) as caught:
        apply_reply(MEETING, "agreed-in-principle", {"proposal": "a" * 32, "state": "scheduled"})
    found += caught.value.problems
    return found


def test_the_broken_notices_meet_most_patterns() -> None:
    messages = [message for _, message in every_problem()]
    used = {
        msgid
        for pattern, msgid in PROBLEM_PATTERNS
        if any(pattern.fullmatch(message) for message in messages)
    }
    unused = {msgid for _, msgid in PROBLEM_PATTERNS} - used
    # The console's own problem (a reply to no known proposal) is tested through the API.
    assert unused == {"no meeting proposal with this id and peer"}


@pytest.mark.parametrize("language", ["id", "ru"])
def test_every_problem_validation_gives_is_translated(language: str) -> None:
    untranslated = []
    for path, message in every_problem():
        shown = translate_problem(message, language, CATALOGUES)
        if message.startswith(ENGLISH_ONLY):
            assert shown == message
            continue
        if shown == message or "%(" in shown:
            untranslated.append((path, message))
    assert untranslated == []


def test_english_readers_get_every_placeholder_filled() -> None:
    # The console's English may reword (a colon, "to be decided" for tbd), never leave a gap.
    for _, message in every_problem():
        shown = translate_problem(message, "en", CATALOGUES)
        assert shown
        assert "%(" not in shown


def test_placeholders_carry_the_problems_own_values() -> None:
    problems = dict(problems_of("flight", {**FLIGHT, "aircraft_type": "x" * 101, "count": 0}))
    assert translate_problem(problems["count"], "ru", CATALOGUES) == "не меньше 1"
    assert translate_problem(problems["aircraft_type"], "id", CATALOGUES) == "maksimal 100 karakter"
    late = dict(problems_of("launch", BROKEN[7][1]))["window.start"]
    assert "24" in translate_problem(late, "ru", CATALOGUES)


def test_an_unknown_wording_is_shown_in_english() -> None:
    assert translate_problem("the moon is made of cheese", "ru", CATALOGUES) == (
        "the moon is made of cheese"
    )


def test_problems_json_lists_every_field_with_both_wordings() -> None:
    with pytest.raises(NotificationInvalid) as caught:
        get_format("flight").validate({**FLIGHT, "count": 0}, now=NOW)
    listed = problems_json(caught.value, language="ru", catalogues=CATALOGUES)
    assert listed == [{"field": "count", "message": "не меньше 1", "detail": "must be at least 1"}]
    json.dumps(listed)


@given(st.integers(min_value=-(10**9), max_value=10**9), st.sampled_from(["en", "id", "ru"]))
def test_any_bound_survives_translation(bound: int, language: str) -> None:
    for wording in (f"must be at least {bound}", f"must be at most {bound}"):
        shown = translate_problem(wording, language, CATALOGUES)
        assert str(bound) in shown
        assert "%(" not in shown
