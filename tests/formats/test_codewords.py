"""Code-word messages and the local codebook: parsing the book, and reading a word through it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hotline.errors import ConfigError, InvalidArgument
from hotline.formats import (
    CODEWORD,
    LANGUAGES,
    PHRASES,
    Codebook,
    codeword_meaning,
    parse_codebook,
    render_text,
)

from .examples import DROP, NOW, example, generic, leaf_paths, problem_paths, with_value

MEANINGS = {
    "en": "Stand down the alert.",
    "id": "Hentikan status siaga.",
    "ru": "Отменить тревогу.",
}
BOOK_TEXT = json.dumps({"NIGHTFALL": MEANINGS, "harvest": {**MEANINGS, "en": "Resume."}})


def book_problems(text: str | bytes) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_codebook(text, source="codebook.json")
    message = str(caught.value)
    assert message.startswith("codebook.json: ")
    return message


# -- the codebook ------------------------------------------------------------------


def test_a_codebook_parses_and_keeps_words_upper_case() -> None:
    book = parse_codebook(BOOK_TEXT)
    assert list(book) == ["HARVEST", "NIGHTFALL"]
    assert len(book) == 2
    assert "harvest" in book
    assert "WINTER" not in book
    assert 3 not in book
    assert book.meaning("nightfall", "ru") == MEANINGS["ru"]
    assert book.meaning("HARVEST", "en") == "Resume."
    assert book.meaning("WINTER", "en") is None
    assert parse_codebook(BOOK_TEXT.encode()) == book
    assert parse_codebook("{}").entries == {}


def test_a_codebook_is_read_only() -> None:
    book = parse_codebook(BOOK_TEXT)
    with pytest.raises(TypeError):
        book.entries["WINTER"] = MEANINGS  # type: ignore[index]
    with pytest.raises(TypeError):
        book.entries["HARVEST"]["en"] = "x"  # type: ignore[index]


def test_asking_in_an_unknown_language_is_an_error() -> None:
    with pytest.raises(InvalidArgument):
        parse_codebook(BOOK_TEXT).meaning("HARVEST", "fr")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b"\xff{}", "not UTF-8 text"),
        (
            "{",
            "not valid JSON: Expecting property name enclosed in double quotes (line 1, column 2)",
        ),
        ("[]", "must be a JSON object mapping each code word to its meanings"),
        (json.dumps({"NIGHT FALL": MEANINGS}), "NIGHT FALL: a code word must be 1 to 32 letters"),
        (json.dumps({"STRAßE": MEANINGS}), "STRAßE: a code word must be 1 to 32 letters"),
        (json.dumps({"A" * 33: MEANINGS}), "a code word must be 1 to 32 letters"),
        ('{"HARVEST": {}, "HARVEST": {}}', "HARVEST: given more than once"),
        (
            json.dumps({"harvest": MEANINGS, "HARVEST": MEANINGS}),
            "HARVEST: given more than once (in another case)",
        ),
        (
            '{"HARVEST": {"en": "a", "en": "b", "id": "c", "ru": "d"}}',
            "en: given more than once",
        ),
        (json.dumps({"HARVEST": "Resume."}), "HARVEST: must map each language"),
        (json.dumps({"HARVEST": {"en": "a", "id": "b"}}), "HARVEST: no meaning in 'ru'"),
        (
            json.dumps({"HARVEST": {**MEANINGS, "de": "x"}}),
            "HARVEST: unknown language 'de'; use en, id, ru",
        ),
        (
            json.dumps({"HARVEST": {**MEANINGS, "id": " "}}),
            "HARVEST: the 'id' meaning must be non-empty text",
        ),
        (
            json.dumps({"HARVEST": {**MEANINGS, "ru": 5}}),
            "HARVEST: the 'ru' meaning must be non-empty text",
        ),
        (
            json.dumps({"HARVEST": {**MEANINGS, "en": "x" * 1001}}),
            "HARVEST: the 'en' meaning is over 1000 characters",
        ),
    ],
)
def test_a_bad_codebook_says_what_is_wrong(text: str | bytes, expected: str) -> None:
    assert expected in book_problems(text)


def test_every_problem_in_a_codebook_is_listed() -> None:
    text = json.dumps({"NIGHT FALL": MEANINGS, "HARVEST": {"en": "a"}})
    message = book_problems(text)
    assert message.startswith("codebook.json: 3 problems: ")
    assert "NIGHT FALL: a code word" in message
    assert "HARVEST: no meaning in 'id'" in message
    assert "HARVEST: no meaning in 'ru'" in message


def test_a_codebook_built_directly_is_checked_too() -> None:
    with pytest.raises(ConfigError, match="no meaning in 'ru'"):
        Codebook(entries={"HARVEST": {"en": "a", "id": "b"}})
    with pytest.raises(ConfigError, match="a code word must be"):
        Codebook(entries={"harvest": MEANINGS})
    with pytest.raises(ConfigError, match="must be a JSON object"):
        Codebook(entries=[("HARVEST", MEANINGS)])  # type: ignore[arg-type]


# -- the codeword format -----------------------------------------------------------

#: (path to change, bad value, the path the problem must name)
CASES: list[tuple[str, Any, str]] = [
    ("word", DROP, "word"),
    ("word", "", "word"),
    ("word", "NIGHT-FALL", "word"),
    ("word", "NIGHTFALL2", "word"),
    ("word", "Ä", "word"),
    ("word", "A" * 33, "word"),
    ("word", 17, "word"),
    ("number", DROP, "number"),
    ("number", -1, "number"),
    ("number", 10_000, "number"),
    ("number", "17", "number"),
    ("number", False, "number"),
    ("number", 1.5, "number"),
]


@pytest.mark.parametrize(("path", "value", "expected"), CASES)
def test_a_bad_field_is_named(path: str, value: Any, expected: str) -> None:
    assert problem_paths(CODEWORD, with_value(example("codeword"), path, value)) == [expected]


def test_every_field_has_a_bad_value_in_the_table() -> None:
    covered = {generic(expected) for _, _, expected in CASES}
    assert leaf_paths(CODEWORD.fields) - covered == set()


def test_words_are_upper_case_and_numbers_whole() -> None:
    clean = CODEWORD.validate({"word": " nightFall ", "number": 0.0}, now=NOW)
    assert clean == {"word": "NIGHTFALL", "number": 0}
    assert type(clean["number"]) is int


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_known_word_shows_its_meaning(language: str) -> None:
    book = parse_codebook(BOOK_TEXT)
    text = CODEWORD.render(example("codeword"), language, codebook=book)
    assert text.splitlines()[-1].endswith(f": {MEANINGS[language]}")
    assert "NIGHTFALL" in text
    assert "17" in text
    assert render_text("codeword", example("codeword"), language, book) == text


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_unknown_word_says_so(language: str) -> None:
    missing = PHRASES["not_in_codebook"][language]
    book = parse_codebook(json.dumps({"HARVEST": MEANINGS}))
    for codebook in (None, book):
        text = CODEWORD.render(example("codeword"), language, codebook=codebook)
        assert text.splitlines()[-1].endswith(f": {missing}")
    assert codeword_meaning({"word": "NIGHTFALL"}, language, None) == missing


def test_a_code_word_reads_in_english() -> None:
    book = parse_codebook(BOOK_TEXT)
    data = {"word": "NIGHTFALL", "number": 1234}
    assert CODEWORD.render(data, "en", codebook=book) == (
        "CODE-WORD MESSAGE (codeword v1)\n"
        "Code word: NIGHTFALL\n"
        "Number: 1234\n"  # an identifier: never "1,234"
        "Meaning: Stand down the alert."
    )
    assert CODEWORD.summary(data, "en") == "Code-word message: NIGHTFALL 1234"
    assert "(not in the local codebook)" in CODEWORD.render(data, "en")
