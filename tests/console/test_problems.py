"""A refused notification's problems in the operator's own language, as the console's API gives them.

The console no longer translates English sentences: validation reports each
problem as a code with params (``hotline.formats.Problem``), and the console
renders it in the reader's language. tests/formats/test_problems.py holds every
code to a text in every language; here, the API's shape.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from hotline.console import problems_json
from hotline.errors import NotificationInvalid
from hotline.formats import get_format

from .conftest import FLIGHT

NOW = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)


def refusal(data: dict[str, object]) -> NotificationInvalid:
    with pytest.raises(NotificationInvalid) as caught:
        get_format("flight").validate(data, now=NOW)
    return caught.value


def test_problems_json_lists_every_field_in_the_readers_language_with_the_english() -> None:
    listed = problems_json(refusal({**FLIGHT, "count": 0}), language="ru")
    assert listed == [
        {
            "field": "count",
            "path": "count",
            "code": "too_small",
            "params": {"limit": 1},
            "message": "не меньше 1",
            "detail": "must be at least 1",
        }
    ]
    json.dumps(listed)


@pytest.mark.parametrize("language", ["id", "ru"])
def test_no_problem_reaches_an_operator_in_english(language: str) -> None:
    broken = {
        **FLIGHT,
        "aircraft_type": "",
        "count": 1.5,
        "closest_approach_km": "x",
        "area": {"name": "Barents Sea"},
        "window": {"start": "soon", "end": "2026-02-30T00:00:00Z"},
        "surprise": True,
    }
    listed = problems_json(refusal(broken), language=language)
    assert len(listed) == 7
    for problem in listed:
        assert problem["message"] != problem["detail"], problem


def test_english_readers_read_what_the_cli_prints() -> None:
    error = refusal({**FLIGHT, "count": 0, "area": {"name": "A"}})
    listed = problems_json(error, language="en")
    assert [p["message"] for p in listed] == [p.message for p in error.problems]
    assert [p["message"] for p in listed] == [
        "must be at least 1",
        "give only one of area, corridor",
    ]
