# ruff: noqa: RUF001  (Russian text and typographic dashes are what is being tested)
"""The word tables and the formatting of dates, numbers and quantities per language."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from hotline.errors import InvalidArgument
from hotline.formats import (
    FORMATS,
    LABELS,
    LANGUAGES,
    PHRASES,
    TITLES,
    UNITS,
    VALUES,
    Renderer,
    check_language,
    format_moment,
    format_number,
)

NBSP, NNBSP = "\u00a0", "\u202f"


def test_languages() -> None:
    assert LANGUAGES == ("en", "id", "ru")
    assert check_language("ru") == "ru"
    for bad in ("fr", "EN", None, ""):
        with pytest.raises(InvalidArgument, match="en, id, ru"):
            check_language(bad)


@pytest.mark.parametrize("table", [LABELS, TITLES, PHRASES])
def test_every_entry_is_in_every_language(table: dict[str, dict[str, str]]) -> None:
    for key, texts in table.items():
        assert set(texts) == set(LANGUAGES), key
        assert all(text.strip() for text in texts.values()), key


def test_every_value_reads_in_every_language() -> None:
    for vocabulary, values in VALUES.items():
        for value, texts in values.items():
            assert set(texts) == set(LANGUAGES), (vocabulary, value)
            assert all(texts.values()), (vocabulary, value)


def test_units_have_the_other_form_everywhere() -> None:
    for unit, forms in UNITS.items():
        assert set(forms) == set(LANGUAGES), unit
        assert all("other" in by_count for by_count in forms.values()), unit


def test_every_format_has_a_title() -> None:
    assert set(TITLES) == set(FORMATS)


def test_phrase_placeholders_agree_across_languages() -> None:
    for key, texts in PHRASES.items():
        placeholders = {language: set(re.findall(r"{(\w+)}", t)) for language, t in texts.items()}
        assert len({frozenset(p) for p in placeholders.values()}) == 1, key


def test_the_tables_are_read_only() -> None:
    with pytest.raises(TypeError):
        LABELS["area"] = {}  # type: ignore[index]
    with pytest.raises(TypeError):
        LABELS["area"]["en"] = "Zone"  # type: ignore[index]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "23 November 2026, 14:00 UTC"),
        ("id", "23 November 2026, 14.00 UTC"),
        ("ru", f"23 ноября 2026{NNBSP}г., 14:00 UTC"),
    ],
)
def test_moments_per_language(language: str, expected: str) -> None:
    moment = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    assert format_moment(moment, language) == expected
    assert format_moment("2026-11-23T14:00:00.000000Z", language) == expected


def test_moments_are_always_shown_in_utc_with_seconds_when_they_matter() -> None:
    moscow = timezone(timedelta(hours=3))
    assert format_moment(datetime(2026, 11, 23, 17, 0, tzinfo=moscow), "en") == (
        "23 November 2026, 14:00 UTC"
    )
    assert format_moment("2026-11-23T14:00:05.250000Z", "en") == "23 November 2026, 14:00:05 UTC"
    assert format_moment("2026-11-23T14:00:05.250000Z", "id") == "23 November 2026, 14.00.05 UTC"


@pytest.mark.parametrize(
    ("value", "en", "id_", "ru"),
    [
        (12500, "12,500", "12.500", f"12{NBSP}500"),
        (54.123456789, "54.123456789", "54,123456789", "54,123456789"),
        (0, "0", "0", "0"),
        (2.5, "2.5", "2,5", "2,5"),
    ],
)
def test_numbers_keep_every_digit(value: float, en: str, id_: str, ru: str) -> None:
    assert [format_number(value, lang) for lang in LANGUAGES] == [en, id_, ru]


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (1, "nm", "1 морская миля"),
        (3, "nm", "3 морские мили"),
        (5, "nm", "5 морских миль"),
        (21, "nm", "21 морская миля"),
        (2.5, "nm", "2,5 морской мили"),
        (20, "km", "20 км"),
    ],
)
def test_russian_units_agree_with_their_number(value: float, unit: str, expected: str) -> None:
    assert Renderer("ru").quantity(value, unit) == expected


def test_units_in_english_and_indonesian() -> None:
    assert Renderer("en").quantity(25, "nm") == "25 NM"
    assert Renderer("id").quantity(25, "nm") == "25 mil laut"
    assert Renderer("id").quantity(1.5, "km") == "1,5 km"


def test_renderer_lines_and_lists() -> None:
    r = Renderer("en")
    assert r.line("note", "one\ntwo") == "Note: one\n  two"
    assert r.items("conditions", []) == ["Conditions: none"]
    assert r.items("conditions", ["a", "b"]) == ["Conditions:", "  1. a", "  2. b"]
    assert r.moment_or_tbd("tbd") == "to be decided"
    assert Renderer("ru").moment_or_tbd("tbd") == "будет определено"
    window = {"start": "2026-11-23T14:00:00.000000Z", "end": "2026-11-24T02:00:00.000000Z"}
    assert r.window(window) == "23 November 2026, 14:00 UTC – 24 November 2026, 02:00 UTC"


def test_a_renderer_needs_a_known_language() -> None:
    with pytest.raises(InvalidArgument):
        Renderer("de")
