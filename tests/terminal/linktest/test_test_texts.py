"""The approved link-test texts: the list's rules, the rotation, and the loader's checks."""

from __future__ import annotations

import dataclasses
import json
import re
import string
import unicodedata
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.errors import ConfigError
from hotline.terminal.linktest.test_texts import (
    LANGUAGES,
    MAX_TEXT_CHARS,
    SCRIPTS,
    ApprovedText,
    approved_texts,
    missing_letters,
    parse_texts,
    rotation,
    text_for,
)

#: What each language's own texts miss. Pinned exactly, so that a change to
#: the list that loses (or gains) a letter is noticed in review.
MISSING_ALONE = {
    "en": frozenset(),
    "id": frozenset("fqvxz"),  # Indonesian uses these only in loanwords
    "ru": frozenset(),
}


def entry(**changes: Any) -> dict[str, Any]:
    """A valid JSON entry, with some fields changed."""
    base: dict[str, Any] = {
        "id": "en-test-1",
        "language": "en",
        "author": "Jane Austen",
        "work": "Pride and Prejudice",
        "year": 1813,
        "text": "It is a truth universally acknowledged.",
    }
    base.update(changes)
    return base


def make(language: str, number: int, text: str = "calm words") -> ApprovedText:
    return ApprovedText(
        id=f"{language}-t-{number}",
        language=language,
        author="A",
        work="W",
        year=1900,
        text=text,
    )


# -- the sets ---------------------------------------------------------------


def test_languages_and_scripts() -> None:
    assert tuple(LANGUAGES) == ("en", "id", "ru")
    assert dict(LANGUAGES) == {"en": "latin", "id": "latin", "ru": "cyrillic"}
    assert SCRIPTS["latin"] == frozenset(string.ascii_lowercase)
    cyrillic = SCRIPTS["cyrillic"]
    assert len(cyrillic) == 33
    assert {"а", "ё", "й", "ъ", "ы", "ь", "э", "ю", "я"} <= cyrillic  # noqa: RUF001
    assert all(unicodedata.name(ch).startswith("CYRILLIC SMALL LETTER") for ch in cyrillic)
    assert set(LANGUAGES.values()) == set(SCRIPTS)


# -- the approved list ------------------------------------------------------


def test_the_list_loads_once_with_enough_texts_per_language() -> None:
    texts = approved_texts()
    assert approved_texts() is texts
    assert len({text.id for text in texts}) == len(texts)
    for language in LANGUAGES:
        assert sum(text.language == language for text in texts) >= 4, language


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_the_texts_of_each_script_use_every_letter(script: str) -> None:
    in_script = [text for text in approved_texts() if text.script == script]
    assert missing_letters(in_script, script) == frozenset()


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_each_rotation_covers_its_script(language: str) -> None:
    assert missing_letters(rotation(language), LANGUAGES[language]) == frozenset()


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_letters_each_language_misses_on_its_own(language: str) -> None:
    own = [text for text in approved_texts() if text.language == language]
    assert missing_letters(own, LANGUAGES[language]) == MISSING_ALONE[language]


def test_every_text_is_short_and_unambiguous_in_form() -> None:
    for text in approved_texts():
        assert 0 < len(text.text) <= MAX_TEXT_CHARS
        assert text.text == text.text.strip(), text.id
        assert unicodedata.is_normalized("NFC", text.text)


#: A coarse guard for review: words a test text must never contain. Rule 1 is
#: judged by the reviewer; this only catches the obvious.
BANNED = {
    "en": r"war|wars|kill\w*|bomb\w*|gun\w*|weapon\w*|missile\w*|nuclear|death|dead|die|"
    r"threat\w*|attack\w*|bear|bears|eagle\w*",
    "id": r"perang|bunuh|bom|senjata|mati|ancam\w*|serang\w*|rudal|nuklir",
    "ru": r"войн\w*|убий\w*|убит\w*|бомб\w*|оружи\w*|ракет\w*|смерт\w*|угроз\w*|"
    r"медвед\w*|орёл|орл\w*",
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_no_text_contains_an_obviously_alarming_word(language: str) -> None:
    banned = re.compile(rf"\b(?:{BANNED[language]})\b", re.IGNORECASE)
    hits = {
        text.id: banned.findall(text.text)
        for text in approved_texts()
        if text.language == language and banned.search(text.text)
    }
    assert hits == {}
    assert banned.search(ALARMING[language])  # the guard itself can fire


ALARMING = {"en": "They went to war.", "id": "Mereka perang.", "ru": "Шла война."}


# -- rotation and text_for --------------------------------------------------


def test_rotation_sends_own_language_first_then_the_rest_of_the_script() -> None:
    texts = approved_texts()
    for language, script in LANGUAGES.items():
        cycle = rotation(language)
        own = [text for text in texts if text.language == language]
        rest = [text for text in texts if text.language != language and text.script == script]
        assert list(cycle) == own + rest
    assert {text.language for text in rotation("id")} == {"id", "en"}
    assert {text.language for text in rotation("ru")} == {"ru"}


def test_rotation_of_an_explicit_list() -> None:
    pool = [make("en", 1), make("ru", 2, "тихо"), make("id", 3), make("en", 4)]
    assert [text.id for text in rotation("id", texts=pool)] == ["id-t-3", "en-t-1", "en-t-4"]
    assert [text.id for text in rotation("en", texts=pool)] == ["en-t-1", "en-t-4", "id-t-3"]
    assert [text.id for text in rotation("ru", texts=pool)] == ["ru-t-2"]


def test_text_for_wraps_around() -> None:
    cycle = rotation("ru")
    assert text_for("ru", 0) == cycle[0]
    assert text_for("ru", len(cycle) - 1) == cycle[-1]
    assert text_for("ru", len(cycle)) == cycle[0]
    assert text_for("ru", 2 * len(cycle) + 1) == cycle[1]
    pool = [make("en", 1), make("en", 2), make("id", 3)]
    assert [text_for("en", n, texts=pool).id for n in range(7)] == [
        "en-t-1",
        "en-t-2",
        "id-t-3",
        "en-t-1",
        "en-t-2",
        "id-t-3",
        "en-t-1",
    ]


@given(language=st.sampled_from(sorted(LANGUAGES)), start=st.integers(0, 10**9))
def test_any_run_of_tests_as_long_as_the_rotation_sends_every_text_once(
    language: str, start: int
) -> None:
    cycle = rotation(language)
    sent = [text_for(language, start + n).id for n in range(len(cycle))]
    assert sorted(sent) == sorted(text.id for text in cycle)


@pytest.mark.parametrize("number", [-1, True, 1.0, "3"])
def test_text_for_rejects_a_bad_test_number(number: object) -> None:
    with pytest.raises(ValueError, match="test number"):
        text_for("en", number)  # type: ignore[arg-type]


def test_text_for_with_no_text_in_the_script() -> None:
    with pytest.raises(ConfigError, match="no approved test texts in the cyrillic script"):
        text_for("ru", 0, texts=[make("en", 1)])


@pytest.mark.parametrize("call", [rotation, lambda language: text_for(language, 0)])
def test_unknown_language(call: Callable[[str], object]) -> None:
    with pytest.raises(ConfigError) as caught:
        call("xx")
    assert str(caught.value) == "unknown test language 'xx' (choose en, id or ru)"


# -- missing_letters --------------------------------------------------------


def test_missing_letters_is_case_insensitive_and_per_script() -> None:
    texts = [make("en", 1, "The QUICK brown"), make("ru", 2, "Ёлка")]
    assert missing_letters(texts, "latin") == SCRIPTS["latin"] - set("thequickbrown")
    assert missing_letters(texts, "cyrillic") == SCRIPTS["cyrillic"] - set("ёлка")
    assert missing_letters([], "latin") == SCRIPTS["latin"]


def test_missing_letters_unknown_script() -> None:
    with pytest.raises(ValueError, match="unknown script 'greek'"):
        missing_letters([], "greek")


@given(
    language=st.sampled_from(sorted(LANGUAGES)),
    data=st.data(),
)
def test_missing_letters_is_the_complement_of_the_letters_used(
    language: str, data: st.DataObject
) -> None:
    letters = sorted(SCRIPTS[LANGUAGES[language]])
    used = data.draw(st.sets(st.sampled_from(letters), min_size=1))
    words = data.draw(st.permutations(sorted(used)))
    text = make(language, 1, " ".join(ch.upper() if i % 2 else ch for i, ch in enumerate(words)))
    assert missing_letters([text], LANGUAGES[language]) == SCRIPTS[LANGUAGES[language]] - used


# -- parse_texts: the good and the broken -----------------------------------


def test_parse_texts_builds_the_entries_in_order() -> None:
    parsed = parse_texts(
        [entry(), entry(id="id-pantun-1", language="id", year=None, text="Ke hulu")]
    )
    assert [text.id for text in parsed] == ["en-test-1", "id-pantun-1"]
    assert parsed[0] == ApprovedText(**entry())
    assert parsed[1].year is None
    assert parsed[1].script == "latin"


def test_a_text_of_exactly_the_limit_is_allowed() -> None:
    (text,) = parse_texts([entry(text="a" * MAX_TEXT_CHARS)])
    assert len(text.text) == MAX_TEXT_CHARS


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"texts": []}, "must be a JSON list, not dict"),
        ("en-test-1", "must be a JSON list, not str"),
        ([], "the test text list is empty"),
        ([entry(), ["en-x-1"]], r"test text #1 must be a JSON object, not list"),
        ([entry(id="en-a-1"), entry(id="en-a-1")], r"test text #1: duplicate id 'en-a-1'"),
        ([entry(language="fr", id="fr-x-1")], r"unknown language 'fr' \(choose en, id or ru\)"),
        ([entry(language=["en"])], r"unknown language \['en'\]"),
        ([entry(text="")], "the text is empty"),
        ([entry(text=" \n ")], "the text is empty"),
        ([entry(text=None)], "the text must be a string"),
        ([entry(text="a" * (MAX_TEXT_CHARS + 1))], "has 601 characters, more than the 600"),
        ([{k: v for k, v in entry().items() if k != "year"}], "#0: missing year"),
        ([entry(yaer=1813)], "#0: unknown yaer"),
        ([entry(id="EN-Test")], "must look like 'en-twain-huck-1'"),
        ([entry(id=7)], "must look like"),
        ([entry(id="ru-test-1")], "must start with its language 'en'"),
        ([entry(author=" ")], "author must be a non-empty string"),
        ([entry(work=None)], "work must be a non-empty string"),
        ([entry(year="1813")], "year must be a positive integer or null"),
        ([entry(year=True)], "year must be a positive integer or null"),
        ([entry(year=0)], "year must be a positive integer or null"),
        ([entry(text="Naïve")], r"letters outside the latin script: 'ï' \(U\+00EF\)"),
        # A Latin o (U+006F) hiding in Russian would fake coverage of U+043E.
        (
            [entry(id="ru-x-1", language="ru", text="Мoре")],  # noqa: RUF001
            r"outside the cyrillic script: 'o' \(U\+006F\)",
        ),
        (
            [entry(id="ru-x-1", language="ru", text="Е\u0308лка")],  # noqa: RUF001
            "not in Unicode NFC form",
        ),
    ],
)
def test_parse_texts_rejects_a_broken_list(data: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_texts(data)


# Text from the script's letters, with spaces and punctuation, never blank.
def texts_in(script: str) -> st.SearchStrategy[str]:
    letters = "".join(sorted(SCRIPTS[script]))
    alphabet = letters + letters.upper() + " ,.;:!?'—\n"
    return (
        st.text(alphabet=alphabet, min_size=1, max_size=MAX_TEXT_CHARS)
        .map(str.strip)
        .filter(lambda text: any(ch.isalpha() for ch in text))
    )


@st.composite
def entries(draw: st.DrawFn) -> dict[str, object]:
    language = draw(st.sampled_from(sorted(LANGUAGES)))
    slug = draw(st.from_regex(r"[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,3}", fullmatch=True))
    return {
        "id": f"{language}-{slug}",
        "language": language,
        "author": draw(st.text(min_size=1, max_size=30).filter(str.strip)),
        "work": draw(st.text(min_size=1, max_size=30).filter(str.strip)),
        "year": draw(st.none() | st.integers(1, 2100)),
        "text": draw(texts_in(LANGUAGES[language])),
    }


@given(st.lists(entries(), min_size=1, max_size=6, unique_by=lambda e: e["id"]))
def test_json_round_trip(data: list[dict[str, object]]) -> None:
    parsed = parse_texts(json.loads(json.dumps(data, ensure_ascii=False)))
    assert [dataclasses.asdict(text) for text in parsed] == data


# -- approved_texts: reading the package file -------------------------------


@pytest.fixture
def package_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the loader at ``tmp_path`` instead of the package, uncached."""
    monkeypatch.setattr(resources, "files", lambda package: tmp_path)
    approved_texts.cache_clear()
    yield tmp_path
    approved_texts.cache_clear()


def test_loader_reads_the_package_file(package_dir: Path) -> None:
    (package_dir / "test_texts.json").write_text(json.dumps([entry()]), encoding="utf-8")
    assert [text.id for text in approved_texts()] == ["en-test-1"]


def test_loader_missing_file(package_dir: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot read the approved test texts \(test_texts"):
        approved_texts()


def test_loader_invalid_json(package_dir: Path) -> None:
    (package_dir / "test_texts.json").write_text('[{"id": ', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"test_texts\.json is not valid JSON"):
        approved_texts()


def test_loader_names_the_file_and_the_entry(package_dir: Path) -> None:
    bad = [entry(), entry(id="en-test-2", text="")]
    (package_dir / "test_texts.json").write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^test_texts.json: test text en-test-2: the text is"):
        approved_texts()


def test_the_module_reads_the_real_file_by_default() -> None:
    path = resources.files("hotline.terminal.linktest").joinpath("test_texts.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert [text.id for text in approved_texts()] == [item["id"] for item in data]


DOC = Path(__file__).resolve().parents[3] / "docs" / "test-texts.md"


def test_the_doc_lists_exactly_the_approved_texts() -> None:
    # Ids are the first cell of a table row: | `en-twain-huck-1` | ...
    listed = re.findall(r"^\| `([a-z]{2}(?:-[a-z0-9]+)+)` \|", DOC.read_text("utf-8"), re.M)
    assert sorted(listed) == sorted(text.id for text in approved_texts())
