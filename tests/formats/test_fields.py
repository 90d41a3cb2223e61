"""The field types: what each accepts, how it normalises, what it refuses and how it says so."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.errors import InvalidArgument, NotificationInvalid
from hotline.formats import (
    INVALID,
    BooleanField,
    ChoiceField,
    CodeField,
    EnumField,
    Field,
    IntegerField,
    ListField,
    NumberField,
    Problem,
    Problems,
    RecordField,
    TextField,
    TimeField,
    check_fields,
    child_path,
    item_path,
    window_field,
)

from .strategies import multiline_texts, texts, times


def check(field: Field, value: Any) -> tuple[Any, list[tuple[str, str]]]:
    """The result, and each problem as (path, English): the wordings the CLI prints."""
    problems = Problems()
    result = field.check(value, "f", problems)
    return result, [(problem.path, problem.message) for problem in problems.found]


def accepts(field: Field, value: Any) -> Any:
    result, problems = check(field, value)
    assert problems == []
    assert result is not INVALID
    return result


def refuses(field: Field, value: Any) -> str:
    """The one problem ``field`` finds in ``value``, on the field's own path."""
    result, problems = check(field, value)
    assert result is INVALID
    assert len(problems) == 1, problems
    path, message = problems[0]
    assert path == "f"
    return message


# -- problems and paths --------------------------------------------------------------


def test_paths() -> None:
    assert child_path("", "window") == "window"
    assert child_path("window", "start") == "window.start"
    assert item_path("corridor", 2) == "corridor[2]"
    assert child_path(item_path("corridor", 2), "lat") == "corridor[2].lat"


def test_problems_collect_in_order_and_raise_them_all() -> None:
    problems = Problems()
    problems.raise_if_any("flight")  # none yet: nothing happens
    problems.add("count", "too_small", limit=1)
    problems.add("window.start", "required")
    assert len(problems) == 2
    with pytest.raises(NotificationInvalid) as caught:
        problems.raise_if_any("flight")
    error = caught.value
    assert error.problems == (
        Problem("count", "too_small", {"limit": 1}),
        Problem("window.start", "required"),
    )
    assert error.format_code == "flight"
    assert str(error) == (
        "invalid flight notification (2 problems): count: must be at least 1; "
        "window.start: required"
    )
    assert isinstance(error, InvalidArgument)


def test_a_problem_with_no_path_is_about_the_whole_data() -> None:
    error = NotificationInvalid([Problem("", "body_not_object")])
    assert str(error) == (
        "invalid notification (1 problem): (data): a notification body must be an object"
    )


# -- text ----------------------------------------------------------------------------


def test_text_is_stripped() -> None:
    assert accepts(TextField(name="x", label="note"), "  Tu-95MS \t") == "Tu-95MS"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (5, "must be text"),
        (None, "must be text"),
        ("   ", "must not be empty"),
        ("a\nb", "must not contain control or text-direction characters (U+000A)"),
        ("a\u202eb", "must not contain control or text-direction characters (U+202E)"),
        ("a\u2028b", "must not contain control or text-direction characters (U+2028)"),
        ("a\x00b", "must not contain control or text-direction characters (U+0000)"),
        ("x" * 11, "must be at most 10 characters"),
    ],
)
def test_text_refuses(value: Any, message: str) -> None:
    assert refuses(TextField(name="x", label="note", max_length=10), value) == message


def test_multiline_text_keeps_newlines_and_normalises_them() -> None:
    field = TextField(name="note", multiline=True)
    assert accepts(field, "one\r\ntwo\rthree\n") == "one\ntwo\nthree"
    assert "U+0009" in refuses(field, "one\ttwo")


def test_tbd_only_where_allowed() -> None:
    assert accepts(TextField(name="x", label="note", tbd=True), " TBD ") == "tbd"
    assert accepts(TextField(name="x", label="note"), "TBD") == "TBD"


@given(texts())
def test_text_normalisation_is_idempotent(text: str) -> None:
    field = TextField(name="x", label="note")
    once = accepts(field, text)
    assert accepts(field, once) == once == text.strip()


@given(multiline_texts())
def test_multiline_normalisation_is_idempotent(text: str) -> None:
    field = TextField(name="x", label="note", multiline=True, max_length=1000)
    once = accepts(field, text)
    assert accepts(field, once) == once


# -- codes ---------------------------------------------------------------------------


def test_code_field_maps_case_and_checks_the_pattern() -> None:
    word = CodeField(name="word", pattern="[A-Z]{1,32}", case="upper", description="code_word")
    letters = "must be a code word of 1 to 32 letters A-Z"
    assert accepts(word, " nightFall ") == "NIGHTFALL"
    assert refuses(word, "NIGHT FALL") == letters
    assert refuses(word, "A" * 33) == letters
    # "ß".upper() is "SS": a non-ASCII letter must not turn into ASCII ones.
    assert refuses(word, "STRAßE") == letters
    assert refuses(word, 7) == f"must be text: {letters[len('must be ') :]}"
    hexid = CodeField(
        name="id", label="note", pattern="[0-9a-f]{4}", case="lower", description="message_id"
    )
    assert accepts(hexid, "AB0F") == "ab0f"


def test_a_code_field_must_describe_itself_in_every_language() -> None:
    with pytest.raises(ValueError, match="CODE_DESCRIPTIONS"):
        CodeField(name="word", pattern="[A-Z]+", case="upper", description="letters")


# -- numbers -------------------------------------------------------------------------


def test_integers() -> None:
    field = IntegerField(name="count", label="note", minimum=1, maximum=10)
    assert accepts(field, 3) == 3
    assert type(accepts(field, 3.0)) is int
    assert refuses(field, 0) == "must be at least 1"
    assert refuses(field, 11) == "must be at most 10"
    for bad in (True, 2.5, "3", None, math.inf, math.nan):
        assert refuses(field, bad) == "must be a whole number"


def test_numbers() -> None:
    field = NumberField(name="r", label="note", minimum=0, exclusive_minimum=True, maximum=100)
    assert accepts(field, 2.5) == 2.5
    assert type(accepts(field, 20.0)) is int
    assert refuses(field, 0) == "must be greater than 0"
    assert refuses(field, -0.0) == "must be greater than 0"
    assert refuses(field, 100.5) == "must be at most 100"
    assert refuses(field, math.inf) == "must be a finite number"
    assert refuses(field, math.nan) == "must be a finite number"
    for bad in (False, "1", None, [1]):
        assert refuses(field, bad) == "must be a number"
    inclusive = NumberField(name="d", label="note", minimum=0)
    assert accepts(inclusive, 0) == 0
    assert refuses(inclusive, -1) == "must be at least 0"


def test_huge_whole_floats_stay_floats() -> None:
    # Above 2**53 a float is not an exact integer; turning it into one would invent digits.
    assert type(accepts(NumberField(name="x", label="note"), 1e300)) is float


@given(st.one_of(st.integers(-(10**6), 10**6), st.floats(-1e6, 1e6, allow_nan=False)))
def test_number_normalisation_is_idempotent(value: float) -> None:
    field = NumberField(name="x", label="note")
    once = accepts(field, value)
    assert once == value
    assert accepts(field, once) == once
    assert json.loads(json.dumps(once)) == once


# -- times ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "canonical"),
    [
        ("2026-11-23T14:00:00Z", "2026-11-23T14:00:00.000000Z"),
        ("2026-11-23T14:00:00.5Z", "2026-11-23T14:00:00.500000Z"),
        ("2026-11-23T14:00:00.123456Z", "2026-11-23T14:00:00.123456Z"),
        (" 2026-11-23T14:00:00Z ", "2026-11-23T14:00:00.000000Z"),
        (datetime(2026, 11, 23, 14, tzinfo=UTC), "2026-11-23T14:00:00.000000Z"),
        (
            datetime(2026, 11, 23, 17, tzinfo=timezone(timedelta(hours=3))),
            "2026-11-23T14:00:00.000000Z",
        ),
    ],
)
def test_times_normalise_to_format_utc(value: Any, canonical: str) -> None:
    assert accepts(TimeField(name="t", label="note"), value) == canonical


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-11-23T14:00Z", "must be a UTC time like 2026-11-23T14:00:00Z"),
        ("2026-11-23T14:00:00+00:00", "must be a UTC time like 2026-11-23T14:00:00Z"),
        ("2026-11-23T14:00:00.1234567Z", "must be a UTC time like 2026-11-23T14:00:00Z"),
        ("2026-13-01T00:00:00Z", "is not a real date and time: 2026-13-01T00:00:00Z"),
        ("tbd", "must be a UTC time like 2026-11-23T14:00:00Z"),
        (1_700_000_000, "must be a UTC time like 2026-11-23T14:00:00Z"),
        (
            datetime(2026, 11, 23, 14),
            "must be timezone-aware: a UTC time like 2026-11-23T14:00:00Z",
        ),
    ],
)
def test_times_refuse(value: Any, message: str) -> None:
    assert refuses(TimeField(name="t", label="note"), value) == message


def test_tbd_times() -> None:
    field = TimeField(name="t", label="note", tbd=True)
    assert accepts(field, "TBD") == "tbd"
    assert refuses(field, "soon") == "must be a UTC time like 2026-11-23T14:00:00Z or tbd"


@given(times)
def test_time_normalisation_is_idempotent(value: Any) -> None:
    field = TimeField(name="t", label="note")
    once = accepts(field, value)
    assert accepts(field, once) == once


# -- enums and booleans ----------------------------------------------------------------


def test_enums_are_lower_case_with_hyphens() -> None:
    field = EnumField(name="weapon", values=("small-arms", "drone"), vocabulary="weapon")
    for spelling in ("small-arms", "Small Arms", "SMALL_ARMS", " small arms "):
        assert accepts(field, spelling) == "small-arms"
    assert refuses(field, "rifle") == "must be one of: small-arms, drone"
    assert refuses(field, 1) == "must be one of: small-arms, drone"


def test_booleans_are_only_booleans() -> None:
    field = BooleanField(name="late_notice")
    assert accepts(field, True) is True
    assert refuses(field, 1) == "must be true or false"
    assert refuses(field, "true") == "must be true or false"


# -- lists, records, choices -----------------------------------------------------------


def test_lists_check_every_item() -> None:
    field = ListField(
        name="xs",
        label="note",
        item=IntegerField(name="x", label="note", minimum=0),
        min_items=1,
        max_items=3,
    )
    assert accepts(field, (1, 2.0)) == [1, 2]
    assert refuses(field, []) == "must have at least 1 items"
    assert refuses(field, [1, 2, 3, 4]) == "must have at most 3 items"
    assert refuses(field, "123") == "must be a list"
    result, problems = check(field, [1, -1, "x"])
    assert result is INVALID
    assert problems == [("f[1]", "must be at least 0"), ("f[2]", "must be a whole number")]


def test_records_report_unknown_missing_and_bad_fields_together() -> None:
    field = RecordField(
        name="r",
        label="note",
        fields=(
            IntegerField(name="a", label="note"),
            TextField(name="b", label="note", required=False),
        ),
    )
    assert accepts(field, {"a": 1}) == {"a": 1}
    assert accepts(field, {"a": 1, "b": None}) == {"a": 1}  # null is absent
    result, problems = check(field, {"b": 5, "c": 1})
    assert result is INVALID
    assert problems == [("f.c", "unknown field"), ("f.a", "required"), ("f.b", "must be text")]
    assert refuses(field, [1]) == "must be an object with the fields a, b"


def test_exactly_one_and_at_least_one_groups() -> None:
    fields = (
        IntegerField(name="a", label="note", required=False),
        IntegerField(name="b", label="note", required=False),
    )
    one = RecordField(name="r", label="note", fields=fields, exactly_one_of=(("a", "b"),))
    assert accepts(one, {"b": 2}) == {"b": 2}
    assert check(one, {})[1] == [("f.a", "required: give one of a, b")]
    assert check(one, {"a": 1, "b": 2})[1] == [("f.b", "give only one of a, b")]
    some = RecordField(name="r", label="note", fields=fields, at_least_one_of=(("a", "b"),))
    assert accepts(some, {"a": 1, "b": 2}) == {"a": 1, "b": 2}
    assert check(some, {"a": None})[1] == [("f.a", "give at least one of a, b")]


def test_an_optional_list_that_may_be_empty_defaults_to_empty() -> None:
    fields = (
        ListField(name="xs", label="note", item=TextField(name="x", label="note"), required=False),
    )
    problems = Problems()
    assert check_fields({}, "", problems, fields=fields) == {"xs": []}
    assert len(problems) == 0


def test_windows_end_after_they_start() -> None:
    window = window_field()
    start = "2026-11-23T14:00:00Z"
    assert accepts(window, {"start": start, "end": "2026-11-23T14:00:00.000001Z"})
    for end in (start, "2026-11-23T13:59:59.999999Z"):
        result, problems = check(window, {"start": start, "end": end})
        assert result is INVALID
        assert problems == [("f.end", "must be later than start")]
    # A bad start is reported once, and hides nothing else.
    result, problems = check(window, {"start": "x", "end": "y"})
    assert [path for path, _ in problems] == ["f.start", "f.end"]


def test_choices_take_exactly_one_known_key() -> None:
    field = ChoiceField(
        name="area",
        variants=(TextField(name="name", label="note"), IntegerField(name="polygon")),
    )
    assert accepts(field, {"name": " Barents "}) == {"name": "Barents"}
    assert refuses(field, {}) == "must be an object with one of: name, polygon"
    assert refuses(field, "Barents") == "must be an object with one of: name, polygon"
    assert refuses(field, {"name": "a", "polygon": 1}) == "must have only one of: name, polygon"
    assert check(field, {"square": 1})[1] == [
        ("f.square", "unknown kind; expected one of: name, polygon")
    ]
    assert check(field, {"name": None})[1] == [("f.name", "required")]
    assert check(field, {"polygon": "x"})[1] == [("f.polygon", "must be a whole number")]


# -- descriptions and definitions ------------------------------------------------------


def test_describe_is_json_with_labels_in_every_language() -> None:
    field = RecordField(
        name="circle",
        fields=(
            NumberField(name="radius", minimum=0, exclusive_minimum=True, unit="km"),
            EnumField(name="unit", values=("km", "nm"), vocabulary="unit"),
        ),
    )
    described = json.loads(json.dumps(field.describe()))
    assert described["type"] == "record"
    assert described["labels"] == {"en": "Circle", "id": "Lingkaran", "ru": "Круг"}  # noqa: RUF001
    radius, unit = described["fields"]
    assert radius == {
        "name": "radius",
        "type": "number",
        "required": True,
        "labels": {"en": "Radius", "id": "Radius", "ru": "Радиус"},
        "min": 0,
        "max": None,
        "exclusive_min": True,
        "unit": "km",
    }
    assert unit["values"] == ["km", "nm"]
    assert unit["value_labels"]["nm"]["en"] == "nautical miles"


@pytest.mark.parametrize(
    "make",
    [
        lambda: TextField(name="Bad Name"),
        lambda: TextField(name="no_such_label"),
        lambda: EnumField(name="weapon", values=("laser",), vocabulary="weapon"),
        lambda: RecordField(
            name="place",
            fields=(TextField(name="name", label="note"),),
            exactly_one_of=(("name", "x"),),
        ),
        lambda: RecordField(
            name="place",
            fields=(TextField(name="name", label="note"),),
            at_least_one_of=(("name",),),
        ),
        lambda: RecordField(name="window", fields=(TimeField(name="end", after="start"),)),
    ],
)
def test_bad_definitions_fail_at_once(make: Any) -> None:
    with pytest.raises(ValueError):
        make()
