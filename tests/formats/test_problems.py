# ruff: noqa: RUF001
# The expected Indonesian and Russian texts are meant to hold Cyrillic and typographic characters.
"""Problems as data: every code worded in every language, every problem validation raises shown.

The problems here come from real validation of broken notices, not from
copies of the wordings, so a code added to ``hotline.formats`` without its
texts, or a param its texts do not take, fails these tests (and the module's
own import check) instead of reaching a Russian operator in English.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.errors import FieldProblem, InvalidArgument, NotificationInvalid
from hotline.formats import (
    CODE_DESCRIPTIONS,
    FORMATS,
    LANGUAGES,
    PROBLEM_TEXTS,
    Problem,
    apply_reply,
    get_format,
    problem_json,
    read_notification_body,
    render_problem,
    transition,
)
from hotline.utc import format_utc

from .examples import example

NOW = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
FLIGHT = example("flight")
MEETING = example("meeting")

#: (format, data): each breaks its format in several ways at once.
BROKEN: list[tuple[str, Any]] = [
    ("flight", {}),
    ("flight", []),
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
    ("flight", {**FLIGHT, "aircraft_type": "Tu\u202e95", "area": {}}),
    ("flight", {**FLIGHT, "area": {"blob": 1}}),
    ("flight", {**FLIGHT, "corridor": None, "area": {"name": "A", "polygon": []}}),
    ("flight", {**FLIGHT, "window": {"start": datetime(2026, 11, 24), "end": "x"}}),
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
    ("meeting", {**MEETING, "participants": [], "time": datetime(2026, 12, 1)}),
    ("meeting-reply", {"proposal": "a" * 32, "state": "scheduled", "time": "tbd"}),
    ("meeting-reply", {"proposal": 32, "state": "held"}),
    ("codeword", {"word": "123", "number": 10_000}),
    ("codeword", {"word": "ABC", "number": 1.5}),
    ("ceasefire", {"place": {}, "time": "2026-11-23T14:00:00Z", "weapon": "nuclear"}),
]


def _concrete(problems: tuple[FieldProblem, ...]) -> tuple[Problem, ...]:
    """NotificationInvalid holds any FieldProblem; the formats raise concrete Problems."""
    concrete = tuple(problem for problem in problems if isinstance(problem, Problem))
    assert len(concrete) == len(problems), problems
    return concrete


def problems_of(code: str, data: Any) -> tuple[Problem, ...]:
    with pytest.raises(NotificationInvalid) as caught:
        get_format(code).validate(data, now=NOW)
    return _concrete(caught.value.problems)


def refused(call: Callable[[], object]) -> tuple[Problem, ...]:
    with pytest.raises(NotificationInvalid) as caught:
        call()
    return _concrete(caught.value.problems)


def every_problem() -> list[Problem]:
    found = [problem for code, data in BROKEN for problem in problems_of(code, data)]
    found += refused(lambda: transition("proposed", "held"))
    found += refused(lambda: transition("held", "scheduled"))
    found += refused(lambda: transition("adjourned", "held"))
    found += refused(
        lambda: apply_reply(
            MEETING, "agreed-in-principle", {"proposal": "a" * 32, "state": "scheduled"}
        )
    )
    found += refused(lambda: read_notification_body([]))
    found += refused(lambda: read_notification_body({"text": 5}))
    return found


# -- the texts -----------------------------------------------------------------------


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("code", sorted(PROBLEM_TEXTS))
def test_every_code_is_translated_with_the_same_params(code: str) -> None:
    texts = PROBLEM_TEXTS[code]
    assert set(texts) == set(LANGUAGES)
    wanted = placeholders(texts["en"])
    for language in LANGUAGES:
        assert placeholders(texts[language]) == wanted, language
    # A translation that is the English again is no translation.
    assert texts["id"] != texts["en"]
    assert texts["ru"] != texts["en"]


@pytest.mark.parametrize("key", sorted(CODE_DESCRIPTIONS))
def test_every_code_description_is_translated(key: str) -> None:
    descriptions = CODE_DESCRIPTIONS[key]
    assert set(descriptions) == set(LANGUAGES)
    assert len({descriptions[language] for language in LANGUAGES}) == len(LANGUAGES)


def test_the_broken_notices_meet_every_code() -> None:
    emitted = {problem.code for problem in every_problem()}
    # The console's own problem (a reply to no known proposal) is tested through its API.
    assert set(PROBLEM_TEXTS) - emitted == {"no_such_proposal"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_problem_validation_gives_renders_with_every_param_filled(language: str) -> None:
    for problem in every_problem():
        shown = render_problem(problem, language)
        assert shown
        assert "{" not in shown, (problem, shown)


def test_str_lists_every_problem_in_english() -> None:
    with pytest.raises(NotificationInvalid) as caught:
        get_format("flight").validate({**FLIGHT, "count": 0, "surprise": 1}, now=NOW)
    assert str(caught.value) == (
        "invalid flight notification (2 problems): surprise: unknown field; "
        "count: must be at least 1"
    )


# -- the wordings operators have read ------------------------------------------------

#: (problem, English as the CLI prints it, Indonesian and Russian as the console shows them).
WORDINGS: list[tuple[Problem, str, str, str]] = [
    (Problem("count", "too_small", {"limit": 1}), "must be at least 1", "minimal 1", "не меньше 1"),
    (
        Problem("aircraft_type", "too_long", {"max_length": 100}),
        "must be at most 100 characters",
        "maksimal 100 karakter",
        "не длиннее 100 символов",
    ),
    (
        Problem("corridor", "only_one_of", {"names": ("area", "corridor")}),
        "give only one of area, corridor",
        "isi hanya salah satu dari: area, corridor",
        "укажите только одно из: area, corridor",
    ),
    (
        Problem("window.start", "not_utc_time_or_tbd"),
        "must be a UTC time like 2026-11-23T14:00:00Z or tbd",
        "harus berupa waktu UTC seperti 2026-11-23T14:00:00Z, atau akan ditentukan",
        "должно быть временем UTC, например 2026-11-23T14:00:00Z, или «будет определено»",
    ),
    (
        Problem("window.start", "late_notice"),
        "less than 24 h before the launch window: needs the explicit late-notice override",
        "kurang dari 24 jam sebelum rentang waktu peluncuran: kirim hanya dengan persetujuan "
        "pemberitahuan terlambat yang eksplisit",
        "менее чем за 24 часа до периода пуска: отправка только с явной отметкой о позднем "
        "уведомлении",
    ),
    (
        Problem("word", "bad_code", {"description": "code_word"}),
        "must be a code word of 1 to 32 letters A-Z",
        "harus berupa kata sandi 1 sampai 32 huruf A-Z",
        "должно быть кодовым словом из 1–32 латинских букв A-Z",
    ),
    (
        Problem("aircraft_type", "forbidden_character", {"char": "U+202E"}),
        "must not contain control or text-direction characters (U+202E)",
        "tidak boleh berisi karakter kendali atau pengarah teks (U+202E)",
        "не должно содержать управляющих символов или символов направления текста (U+202E)",
    ),
    (
        Problem(
            "state",
            "bad_transition",
            {
                "state": "proposed",
                "target": "held",
                "allowed": ("agreed-in-principle", "cancelled"),
            },
        ),
        "a proposed meeting cannot become held; it can become agreed-in-principle, cancelled",
        "pertemuan berstatus proposed tidak dapat menjadi held; "
        "yang mungkin: agreed-in-principle, cancelled",
        "встреча в состоянии proposed не может перейти в held; "
        "возможно: agreed-in-principle, cancelled",
    ),
]


@pytest.mark.parametrize(("problem", "en", "id_", "ru"), WORDINGS)
def test_the_wordings_are_the_ones_operators_know(
    problem: Problem, en: str, id_: str, ru: str
) -> None:
    assert (problem.message, render_problem(problem, "id"), render_problem(problem, "ru")) == (
        en,
        id_,
        ru,
    )
    assert render_problem(problem, "en") == en


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(InvalidArgument):
        render_problem(Problem("", "required"), "fr")


# -- problems as values --------------------------------------------------------------


def test_a_problem_must_fit_its_code() -> None:
    with pytest.raises(ValueError, match="unknown problem code"):
        Problem("count", "too_big")
    with pytest.raises(ValueError, match="takes params"):
        Problem("count", "too_small")
    with pytest.raises(ValueError, match="takes params"):
        Problem("count", "required", {"limit": 1})
    with pytest.raises(ValueError, match="CODE_DESCRIPTIONS"):
        Problem("word", "bad_code", {"description": "letters"})


def test_problems_are_values() -> None:
    # A list on purpose (dict-item): Problem keeps it as a tuple.
    one = Problem("corridor", "only_one_of", {"names": ["area", "corridor"]})  # type: ignore[dict-item]
    other = Problem("corridor", "only_one_of", {"names": ("area", "corridor")})
    assert one == other
    assert hash(one) == hash(other)
    assert one.params["names"] == ("area", "corridor")
    with pytest.raises(TypeError):
        one.params["names"] = ()  # type: ignore[index]


def test_problem_json_is_the_api_shape() -> None:
    problem = Problem("corridor[1].lat", "too_large", {"limit": 90})
    assert problem_json(problem, "ru") == {
        "path": "corridor[1].lat",
        "code": "too_large",
        "params": {"limit": 90},
        "message": "не больше 90",
    }
    assert problem_json(problem)["message"] == "must be at most 90"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def broken_notices(draw: st.DrawFn) -> tuple[str, Any]:
    """A format's example with one top-level field (or an unknown key) set to any JSON value."""
    code = draw(st.sampled_from(sorted(FORMATS)))
    names = [field.name for field in FORMATS[code].fields]
    name = draw(st.sampled_from([*names, "surprise"]))
    return code, {**example(code), name: draw(json_values)}


@settings(max_examples=150, deadline=None)
@given(broken_notices())
def test_whatever_validation_refuses_renders_everywhere_and_survives_json(
    notice: tuple[str, Any],
) -> None:
    code, data = notice
    try:
        get_format(code).validate(data, now=NOW, override=True)
    except NotificationInvalid as exc:
        for problem in exc.problems:
            for language in LANGUAGES:
                assert "{" not in render_problem(problem, language)
            # The control socket's JSON makes the same problem again on the CLI's side.
            sent = json.loads(json.dumps(problem_json(problem)))
            assert Problem(sent["path"], sent["code"], sent["params"]) == problem


@given(
    st.one_of(st.integers(-(10**9), 10**9), st.floats(-1e6, 1e6, allow_nan=False)),
    st.sampled_from(LANGUAGES),
)
def test_any_bound_is_shown_as_it_is(bound: int | float, language: str) -> None:
    for code in ("too_small", "too_large", "not_greater"):
        assert str(bound) in render_problem(Problem("x", code, {"limit": bound}), language)


DOCS = Path(__file__).resolve().parents[2] / "docs" / "formats.md"
DOC_ROW = re.compile(r"^\| `(\w+)` \| ([^|]+) \| (.+) \|$", re.MULTILINE)


def test_the_docs_list_every_code_with_its_params_and_english() -> None:
    """docs/formats.md §3.3 has one row per code: code | params | English text."""
    section = DOCS.read_text(encoding="utf-8").split("### 3.3 Problems")[1].split("### 3.4")[0]
    documented = {
        code: (set(re.findall(r"`(\w+)`", params)), english)
        for code, params, english in DOC_ROW.findall(section)
    }
    assert documented == {
        code: (placeholders(texts["en"]), texts["en"]) for code, texts in PROBLEM_TEXTS.items()
    }
