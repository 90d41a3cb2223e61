"""Properties every format shares: canonical round trips, all problems at once, three languages.

Run over every format in FORMATS, with hypothesis generating valid data
(tests/formats/strategies.py) and fixed examples (tests/formats/examples.py).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.errors import NotificationInvalid
from hotline.formats import (
    FORMATS,
    LABELS,
    LANGUAGES,
    PHRASES,
    TITLES,
    UNITS,
    VALUES,
    Codebook,
    Format,
    TextField,
    TimeField,
    format_moment,
    format_number,
)

from .examples import DROP, EXAMPLES, NOW, example, problem_paths, with_value
from .strategies import VALID

CODEBOOK = Codebook(
    entries={
        "NIGHTFALL": {
            "en": "Stand down the alert.",
            "id": "Hentikan status siaga.",
            "ru": "Отменить тревогу.",
        }
    }
)


def _write(data: Any, r: Any, codebook: Any) -> list[str]:
    return []


def _summarise(data: Any, r: Any) -> str:
    return ""


# -- the Format record -------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"code": "Flight"},
        {"code": "flight_2"},
        {"code": "unknown-code"},
        {"version": 0},
        {"version": True},
        {"fields": (TextField(name="source"), TextField(name="source"))},
        {"exactly_one_of": (("source",),)},
        {"at_least_one_of": (("nowhere",),)},
        {"fields": (TimeField(name="end", after="start"),)},
    ],
)
def test_a_bad_format_definition_fails_at_once(changes: dict[str, Any]) -> None:
    arguments: dict[str, Any] = {
        "code": "codeword",
        "version": 1,
        "fields": (TextField(name="source"),),
        "write": _write,
        "summarise": _summarise,
        **changes,
    }
    with pytest.raises(ValueError):
        Format(**arguments)


def test_codes_versions_and_titles() -> None:
    assert list(FORMATS) == [
        "flight",
        "launch",
        "exercise",
        "meeting",
        "meeting-reply",
        "ceasefire",
        "codeword",
    ]
    for code, fmt in FORMATS.items():
        assert fmt.code == code
        assert fmt.version == 1
        assert dict(fmt.titles) == dict(TITLES[code])


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        FORMATS["flight"].validate(EXAMPLES["flight"], now=datetime(2026, 11, 20, 14))


@pytest.mark.parametrize("code", FORMATS)
def test_data_must_be_an_object(code: str) -> None:
    not_objects: tuple[object, ...] = (None, [], "flight", 3)
    for data in not_objects:
        assert problem_paths(FORMATS[code], data) == [""]


@pytest.mark.parametrize("code", FORMATS)
def test_unknown_fields_are_problems(code: str) -> None:
    data = {**example(code), "colour": "red"}
    assert problem_paths(FORMATS[code], data) == ["colour"]


# -- schemas -----------------------------------------------------------------------


@pytest.mark.parametrize("code", FORMATS)
def test_the_schema_is_json_and_describes_every_field(code: str) -> None:
    fmt = FORMATS[code]
    schema = json.loads(json.dumps(fmt.schema()))
    assert schema["code"] == code
    assert schema["version"] == 1
    assert set(schema["titles"]) == set(LANGUAGES)
    assert [f["name"] for f in schema["fields"]] == [f.name for f in fmt.fields]
    for field in schema["fields"]:
        assert {"name", "type", "required", "labels"} <= set(field)
        assert set(field["labels"]) == set(LANGUAGES)
    # The example's keys are all described fields.
    assert set(EXAMPLES[code]) <= {f["name"] for f in schema["fields"]}


def test_the_flight_schema_says_area_or_corridor() -> None:
    schema = FORMATS["flight"].schema()
    assert schema["exactly_one_of"] == [["area", "corridor"]]
    count = next(f for f in schema["fields"] if f["name"] == "count")
    assert (count["type"], count["min"], count["required"]) == ("integer", 1, True)
    approach = next(f for f in schema["fields"] if f["name"] == "closest_approach_km")
    assert approach["unit"] == "km"
    area = next(f for f in schema["fields"] if f["name"] == "area")
    assert [v["name"] for v in area["variants"]] == ["name", "polygon", "circle"]


def test_the_ceasefire_schema_lists_weapons_with_their_readings() -> None:
    schema = FORMATS["ceasefire"].schema()
    weapon = next(f for f in schema["fields"] if f["name"] == "weapon")
    assert weapon["values"] == ["artillery", "mortar", "small-arms", "drone", "other"]
    assert weapon["value_labels"]["small-arms"]["id"] == "senjata ringan"


# -- canonical form: round trips ---------------------------------------------------


@pytest.mark.parametrize("code", FORMATS)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_validation_is_idempotent_and_survives_json_and_cbor(
    code: str, data: st.DataObject
) -> None:
    fmt = FORMATS[code]
    raw = data.draw(VALID[code])
    override = data.draw(st.booleans())
    once = fmt.validate(raw, now=NOW, override=override)
    assert fmt.validate(once, now=NOW, override=override) == once
    assert fmt.validate(once, now=None) == once
    through_json = json.loads(json.dumps(once))
    assert through_json == once
    assert fmt.validate(through_json, now=NOW, override=override) == once
    through_cbor = cbor2.loads(cbor2.dumps(once, canonical=True))
    assert through_cbor == once


@pytest.mark.parametrize("code", FORMATS)
def test_the_examples_are_valid(code: str) -> None:
    FORMATS[code].validate(EXAMPLES[code], now=NOW)


# -- all problems at once ----------------------------------------------------------

#: For each format, several fields broken at once: every one must be reported.
BROKEN: dict[str, list[tuple[str, Any]]] = {
    "flight": [
        ("aircraft_type", ""),
        ("count", 0),
        ("area.circle.radius", -1),
        ("closest_approach_km", "20 km"),
        ("window.end", "2026-11-23T13:00:00Z"),
    ],
    "launch": [
        ("window.start", "2026-11-20T20:00:00Z"),
        ("launch_area", {}),
        ("impact_area.circle.unit", "miles"),
    ],
    "exercise": [("name", 5), ("window", DROP), ("area", {"polygon": []}), ("personnel", -1)],
    "meeting": [("proposer", DROP), ("participants", []), ("time", "next week"), ("format", "x")],
    "meeting-reply": [("proposal", "12"), ("time", "tbd"), ("format", "tbd"), ("note", "")],
    "ceasefire": [("place", {}), ("time", DROP), ("weapon", "tank"), ("count", 0)],
    "codeword": [("word", "NIGHT-FALL"), ("number", 10000)],
}


@pytest.mark.parametrize("code", FORMATS)
def test_every_problem_is_reported_at_once(code: str) -> None:
    data = example(code)
    for path, value in BROKEN[code]:
        data = with_value(data, path, value)
    found = problem_paths(FORMATS[code], data)
    expected = {
        "flight": [
            "aircraft_type",
            "count",
            "area.circle.radius",
            "closest_approach_km",
            "window.end",
        ],
        "launch": ["window.start", "launch_area", "impact_area.circle.unit"],
        "exercise": ["name", "window", "area.polygon", "personnel"],
        "meeting": ["proposer", "participants", "time", "format"],
        "meeting-reply": ["proposal", "note", "time", "format"],
        "ceasefire": ["place.name", "time", "weapon", "count"],
        "codeword": ["word", "number"],
    }[code]
    assert sorted(found) == sorted(expected)


def test_the_error_lists_every_problem_in_its_message() -> None:
    data = with_value(with_value(example("codeword"), "word", "1"), "number", -1)
    with pytest.raises(NotificationInvalid) as caught:
        FORMATS["codeword"].validate(data, now=NOW)
    assert str(caught.value) == (
        "invalid codeword notification (2 problems): word: must be a code word of 1 to 32 "
        "letters A-Z; number: must be at least 0"
    )


# -- renderings --------------------------------------------------------------------


def key_values(code: str, data: dict[str, Any], language: str) -> list[str]:
    """What a rendering of ``data`` must show, in ``language``."""

    def number(value: float) -> str:
        return format_number(value, language)

    def moment(text: str) -> str:
        return format_moment(text, language)

    def area(value: dict[str, Any]) -> list[str]:
        return [value["name"]] if "name" in value else []

    if code == "flight":
        shown = [data["aircraft_type"], number(data["count"]), number(data["closest_approach_km"])]
        return [*shown, moment(data["window"]["start"]), *area(data.get("area", {}))]
    if code == "launch":
        return [moment(data["window"]["end"]), *area(data["launch_area"])]
    if code == "exercise":
        shown = [data["name"], data["forces"], moment(data["window"]["start"])]
        if "personnel" in data:
            shown.append(number(data["personnel"]))
        return [*shown, *area(data["area"])]
    if code == "meeting":
        place = [data["place"]] if data.get("place", "tbd") != "tbd" else []
        return [data["proposer"], *data["participants"], *data["conditions"], *place]
    if code == "meeting-reply":
        note = data.get("note", "").splitlines()
        return [
            data["proposal"],
            *note,
            *([data["place"]] if data.get("place", "tbd") != "tbd" else []),
        ]
    if code == "ceasefire":
        name = [data["place"]["name"]] if "name" in data["place"] else []
        return [data["source"], number(data["count"]), moment(data["time"]), *name]
    return [data["word"], str(data["number"])]


@pytest.mark.parametrize("code", FORMATS)
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_every_format_renders_in_every_language(code: str, data: st.DataObject) -> None:
    fmt = FORMATS[code]
    clean = fmt.validate(data.draw(VALID[code]), now=NOW, override=True)
    for language in LANGUAGES:
        text = fmt.render(clean, language, codebook=CODEBOOK)
        title, *lines = text.split("\n")
        assert title == f"{TITLES[code][language].upper()} ({code} v1)"
        assert lines
        for value in key_values(code, clean, language):
            assert value in text, (language, value)
        line = fmt.summary(clean, language)
        assert line.startswith(f"{TITLES[code][language]}: ")
        assert len(line.splitlines()) == 1


#: Words that are the same in English and in the language, so may appear in both.
SHARED_WORDS = {"id": {"drone", "format", "radius", "video"}, "ru": set[str]()}


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-z]{3,}", re.sub(r"{\w+}", " ", text))}


def _english_words(language: str) -> set[str]:
    """Every English word of the tables, except those the language shares."""
    entries: list[Any] = [*LABELS.values(), *TITLES.values(), *PHRASES.values()]
    entries += [texts for values in VALUES.values() for texts in values.values()]
    entries += [
        {lang: " ".join(forms.values()) for lang, forms in by_language.items()}
        for by_language in UNITS.values()
    ]
    found: set[str] = set()
    for entry in entries:
        found |= _words(entry["en"])
    return found - SHARED_WORDS[language]


@pytest.mark.parametrize("language", ["id", "ru"])
def test_the_tables_translate_every_english_word(language: str) -> None:
    entries: list[Any] = [*LABELS.values(), *TITLES.values(), *PHRASES.values()]
    entries += [texts for values in VALUES.values() for texts in values.values()]
    for entry in entries:
        left = _words(entry[language]) & _english_words(language)
        assert left == set(), entry


#: Data that exercises every label, value and phrase a rendering can show.
RENDERINGS: list[tuple[str, dict[str, Any], bool]] = [
    *((code, EXAMPLES[code], False) for code in FORMATS),
    ("flight", with_value(example("flight"), "area", {"name": "Barentsevo more"}), False),
    (
        "flight",
        with_value(
            with_value(example("flight"), "area", DROP),
            "corridor",
            [{"lat": 69, "lon": 33}, {"lat": -70, "lon": -31}],
        ),
        False,
    ),
    ("launch", with_value(example("launch"), "window.start", "2026-11-21T02:00:00Z"), True),
    (
        "launch",
        with_value(
            example("launch"),
            "impact_area",
            {"polygon": [{"lat": 1, "lon": 2}, {"lat": 3, "lon": 4}, {"lat": 5, "lon": 6}]},
        ),
        False,
    ),
    (
        "meeting",
        {
            "proposer": "Moskva",
            "participants": ["Ministr"],
            "time": "2026-12-01T10:00:00Z",
            "format": "video",
            "place": "tbd",
        },
        False,
    ),
    *(
        ("meeting-reply", {**example("meeting-reply"), "state": state, "format": fmt}, False)
        for state, fmt in (
            ("agreed-in-principle", "phone"),
            ("held", "video"),
            ("cancelled", "tbd"),
        )
    ),
    *(
        ("ceasefire", with_value(example("ceasefire"), "weapon", weapon), False)
        for weapon in ("artillery", "small-arms", "drone", "other")
    ),
    ("ceasefire", with_value(example("ceasefire"), "place.name", DROP), False),
    ("ceasefire", with_value(example("ceasefire"), "place.coordinates", DROP), False),
    ("codeword", {"word": "HARVEST", "number": 3}, False),
]


@pytest.mark.parametrize("language", ["id", "ru"])
@pytest.mark.parametrize(("code", "data", "override"), RENDERINGS)
def test_no_english_word_is_left_untranslated(
    language: str, code: str, data: dict[str, Any], override: bool
) -> None:
    fmt = FORMATS[code]
    clean = fmt.validate(data, now=NOW, override=override)
    text = fmt.render(clean, language, codebook=CODEBOOK)
    text = text.replace(f"({code} v{fmt.version})", "")  # the code is an identifier
    text += "\n" + fmt.summary(clean, language)
    assert _words(text) & _english_words(language) == set(), text


def test_the_untranslated_check_can_fail() -> None:
    assert {"aircraft", "circle", "late", "notice", "codebook", "weapon"} <= _english_words("id")
    assert "radius" not in _english_words("id")  # the same word in Indonesian
    assert "radius" in _english_words("ru")
    english = FORMATS["flight"].render(EXAMPLES["flight"], "en")
    assert _words(english) & _english_words("id")
