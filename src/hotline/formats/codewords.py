"""Code-word messages, and the local codebook that gives the words their meaning.

The 1976 protocol to the hotline agreement let the two sides send pre-agreed
messages by a code word: a word on the line stands for a sentence both sides
agreed on beforehand. A ``codeword`` notification carries only the word (1 to
32 letters A-Z, kept upper-case) and a number (0 to 9999: a level, a count, a
reference into a list both sides hold). What the word means never travels:
each side keeps the meanings in a local file, so a message means nothing to
anyone who intercepts it without the book.

The codebook file is JSON, one entry per word, with the meaning in every
language::

    {
      "NIGHTFALL": {"en": "Stand down the alert.", "id": "…", "ru": "…"},
      "HARVEST":   {"en": "…", "id": "…", "ru": "…"}
    }

Words may be written in any case in the file; they are kept upper-case. This
module only parses text: reading the file is the caller's job, so the package
does no I/O.

A rendering looks the word up in the codebook it is given. If the book has the
word, the meaning is shown in the reader's language; if it does not (or no
book is given), the rendering says so plainly, "(not in the local codebook)",
rather than leaving a blank an operator might read as "no meaning needed".
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from hotline.errors import ConfigError
from hotline.formats.fields import CodeField, IntegerField
from hotline.formats.format import Format
from hotline.formats.i18n import LANGUAGES, Renderer, check_language

__all__ = [
    "CODEWORD",
    "CODEWORD_NUMBER_MAX",
    "CODE_WORD_PATTERN",
    "MEANING_MAX_CHARS",
    "Codebook",
    "codeword_meaning",
    "parse_codebook",
]

#: A code word: 1 to 32 letters A-Z.
CODE_WORD_PATTERN: Final = "[A-Z]{1,32}"
#: The longest meaning an entry may give, in characters.
MEANING_MAX_CHARS: Final = 1000
#: The largest number a code-word message may carry.
CODEWORD_NUMBER_MAX: Final = 9999


@dataclass(frozen=True, slots=True, kw_only=True)
class Codebook:
    """Code words and their meanings per language, checked when made.

    ``entries`` maps each upper-case word to ``{language: meaning}`` with every
    language of :data:`~hotline.formats.i18n.LANGUAGES`.
    """

    entries: Mapping[str, Mapping[str, str]]

    def __post_init__(self) -> None:
        problems = _entry_problems(self.entries)
        if problems:
            raise ConfigError(_describe("codebook", problems))
        frozen = MappingProxyType(
            {word: MappingProxyType(dict(meanings)) for word, meanings in self.entries.items()}
        )
        object.__setattr__(self, "entries", frozen)

    def meaning(self, word: str, language: str) -> str | None:
        """What ``word`` means in ``language``, or None if the book lacks the word."""
        meanings = self.entries.get(word.strip().upper())
        return None if meanings is None else meanings[check_language(language)]

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and word.strip().upper() in self.entries

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.entries))

    def __len__(self) -> int:
        return len(self.entries)


def _entry_problems(entries: Any) -> list[str]:
    """Every problem in a codebook's entries, as ``"WORD: what is wrong"``."""
    if not isinstance(entries, Mapping):
        return ["must be a JSON object mapping each code word to its meanings"]
    problems = []
    for word, meanings in entries.items():
        where = word if isinstance(word, str) else repr(word)
        if not isinstance(word, str) or not re.fullmatch(CODE_WORD_PATTERN, word):
            problems.append(f"{where}: a code word must be 1 to 32 letters A-Z, upper-case")
        if not isinstance(meanings, Mapping):
            problems.append(
                f"{where}: must map each language ({', '.join(LANGUAGES)}) to a meaning"
            )
            continue
        for language in LANGUAGES:
            meaning = meanings.get(language)
            if meaning is None:
                problems.append(f"{where}: no meaning in {language!r}")
            elif not isinstance(meaning, str) or not meaning.strip():
                problems.append(f"{where}: the {language!r} meaning must be non-empty text")
            elif len(meaning) > MEANING_MAX_CHARS:
                problems.append(
                    f"{where}: the {language!r} meaning is over {MEANING_MAX_CHARS} characters"
                )
        for language in meanings:
            if language not in LANGUAGES:
                problems.append(
                    f"{where}: unknown language {language!r}; use {', '.join(LANGUAGES)}"
                )
    return problems


def _describe(source: str, problems: list[str]) -> str:
    count = len(problems)
    return f"{source}: {count} problem{'' if count == 1 else 's'}: {'; '.join(problems)}"


def parse_codebook(text: str | bytes, *, source: str = "codebook") -> Codebook:
    """A :class:`Codebook` from the JSON text of a codebook file.

    Words may be written in any case; they are kept upper-case. A bad file
    raises :class:`~hotline.errors.ConfigError` naming ``source`` (the file's
    path, say) and listing every problem in it, not just the first.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"{source}: not UTF-8 text ({exc.reason} at byte {exc.start})"
            ) from None
    repeated: list[str] = []

    def collect(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        # json keeps the last of two equal keys silently; a codebook that gives
        # a word (or a word's language) twice is ambiguous, so say so.
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                repeated.append(key)
            seen.add(key)
        return dict(pairs)

    try:
        document = json.loads(text, object_pairs_hook=collect)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{source}: not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    if not isinstance(document, dict):
        raise ConfigError(f"{source}: must be a JSON object mapping each code word to its meanings")
    problems = [f"{key}: given more than once" for key in repeated]
    entries: dict[str, Any] = {}
    for word, meanings in document.items():
        # Any case in the file, upper-case in the book; isascii() first, because
        # "ß".upper() is "SS" and must not pass as a word.
        key = word.strip().upper() if word.isascii() else word
        if key in entries:
            problems.append(f"{key}: given more than once (in another case)")
        entries[key] = meanings
    problems += _entry_problems(entries)
    if problems:
        raise ConfigError(_describe(source, problems))
    return Codebook(entries=entries)


# -- the codeword format -------------------------------------------------------


def codeword_meaning(data: Mapping[str, Any], language: str, codebook: Codebook | None) -> str:
    """The meaning of the data's word in ``language``, or the "not in the codebook" phrase."""
    reader = Renderer(language)
    meaning = None if codebook is None else codebook.meaning(data["word"], language)
    return reader.phrase("not_in_codebook") if meaning is None else meaning


def _write_codeword(data: Mapping[str, Any], r: Renderer, codebook: Codebook | None) -> list[str]:
    return [
        r.line("word", data["word"]),
        # A code number is an identifier, not a quantity: no digit grouping.
        r.line("number", str(data["number"])),
        r.line("meaning", codeword_meaning(data, r.language, codebook)),
    ]


def _summarise_codeword(data: Mapping[str, Any], r: Renderer) -> str:
    return f"{r.title('codeword')}: {data['word']} {data['number']}"


CODEWORD: Final = Format(
    code="codeword",
    version=1,
    fields=(
        CodeField(
            name="word",
            pattern=CODE_WORD_PATTERN,
            case="upper",
            description="code_word",
        ),
        IntegerField(name="number", minimum=0, maximum=CODEWORD_NUMBER_MAX),
    ),
    write=_write_codeword,
    summarise=_summarise_codeword,
)
