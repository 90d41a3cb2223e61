"""The approved link-test texts: what a terminal sends when it tests a route.

Since 1963 the Moscow-Washington hotline has been tested every hour, end to
end, with literary excerpts (the US sending on even hours, the Soviets on odd
ones). hotline keeps the practice, and its three rules:

1. **Cannot be misread.** A test text is a short passage of literature, a
   folk verse or a public civic text. Nothing about war, threats, weapons or
   death, no animals that stand for a nation (the real line refused
   Winnie-the-Pooh: the bear is a Russian symbol), nothing political between
   the parties. An operator seeing a test text out of context must not be
   able to take it for real traffic.
2. **Every letter of the script.** A garbled letter is only noticed if it is
   sent, so, taken together, the texts in one script use each of its letters
   (case-insensitively): ``latin`` is a to z, ``cyrillic`` is the 33 Russian
   letters, U+0430 to U+044F plus ё. A text holds only letters of its own script, so a
   Latin ``o`` hidden in a Russian text cannot pass for a Cyrillic one. The
   Indonesian texts alone miss the letters Indonesian uses only in loanwords;
   :func:`rotation` therefore sends an Indonesian sender's own texts first and
   then the English ones, which cover a to z.
3. **A reviewed, approved list.** The list is the package file
   ``test_texts.json``, and nothing else: no operator setting adds to it.
   Only public-domain works are allowed (the author died more than 70 years
   ago, or the text is folk or public), quoted verbatim in standard modern
   spelling (Russian with ё where the word has it). Changing the list is a
   change to that file that a second person reviews before it is merged: the
   reviewer checks each passage against a printed or scholarly edition, checks
   rule 1 by reading it as an anxious operator would, and runs the tests,
   which check rule 2 and pin the letters each language misses on its own.

This module loads and checks the list (a broken file is a
:class:`~hotline.errors.ConfigError` that says what is wrong) and chooses the
text for a test: :func:`text_for` cycles through :func:`rotation`. It reads no
clock; the caller passes the test number.
"""

from __future__ import annotations

import json
import re
import string
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType

from hotline.errors import ConfigError

__all__ = [
    "ApprovedText",
    "LANGUAGES",
    "MAX_TEXT_CHARS",
    "SCRIPTS",
    "approved_texts",
    "missing_letters",
    "parse_texts",
    "rotation",
    "text_for",
]

#: Script name → the lower-case letters a test rotation in it must use.
SCRIPTS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "latin": frozenset(string.ascii_lowercase),
        # U+0430..U+044F holds the other 32 letters, in order; ё lies outside it.
        "cyrillic": frozenset(chr(code) for code in range(0x430, 0x450)) | {"ё"},
    }
)

#: Test language → the script its texts are written in.
LANGUAGES: Mapping[str, str] = MappingProxyType({"en": "latin", "id": "latin", "ru": "cyrillic"})

#: The longest text allowed, in characters: a test is a stanza, not a chapter.
MAX_TEXT_CHARS = 600

_RESOURCE = "test_texts.json"
_FIELDS = frozenset({"id", "language", "author", "work", "year", "text"})
_ID = re.compile(r"[a-z]{2}(-[a-z0-9]+)+")


def _choices() -> str:
    """``en, id or ru``: the known languages, for error messages."""
    names = sorted(LANGUAGES)
    return ", ".join(names[:-1]) + " or " + names[-1]


@dataclass(frozen=True, slots=True, kw_only=True)
class ApprovedText:
    """One entry of the approved list; every field is checked when it is built.

    ``year`` is the year the work was written or first published, or ``None``
    for a folk text (a pantun) that has no date.
    """

    id: str
    language: str
    author: str
    work: str
    year: int | None
    text: str

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not _ID.fullmatch(self.id):
            raise ConfigError(
                f"test text id {self.id!r} must look like 'en-twain-huck-1' "
                "(lower-case letters, digits and hyphens, starting with the language)"
            )
        if not isinstance(self.language, str) or self.language not in LANGUAGES:
            raise ConfigError(
                f"test text {self.id}: unknown language {self.language!r} (choose {_choices()})"
            )
        if not self.id.startswith(f"{self.language}-"):
            raise ConfigError(
                f"test text {self.id}: the id must start with its language {self.language!r}"
            )
        for name in ("author", "work"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(f"test text {self.id}: {name} must be a non-empty string")
        # bool is an int subclass; True is not a year.
        if self.year is not None and (
            not isinstance(self.year, int) or isinstance(self.year, bool) or self.year < 1
        ):
            raise ConfigError(f"test text {self.id}: year must be a positive integer or null")
        self._check_text()

    def _check_text(self) -> None:
        text = self.text
        if not isinstance(text, str):
            raise ConfigError(f"test text {self.id}: the text must be a string")
        if not text.strip():
            raise ConfigError(f"test text {self.id}: the text is empty")
        if len(text) > MAX_TEXT_CHARS:
            raise ConfigError(
                f"test text {self.id}: the text has {len(text)} characters,"
                f" more than the {MAX_TEXT_CHARS} allowed"
            )
        # A decomposed ё (U+0435 + U+0308) would not count as ё for coverage.
        if not unicodedata.is_normalized("NFC", text):
            raise ConfigError(f"test text {self.id}: the text is not in Unicode NFC form")
        script = LANGUAGES[self.language]
        foreign = sorted({ch for ch in text.lower() if ch.isalpha() and ch not in SCRIPTS[script]})
        if foreign:
            shown = ", ".join(f"{ch!r} (U+{ord(ch):04X})" for ch in foreign)
            raise ConfigError(f"test text {self.id}: letters outside the {script} script: {shown}")

    @property
    def script(self) -> str:
        """The script the text is written in (``latin`` or ``cyrillic``)."""
        return LANGUAGES[self.language]


def parse_texts(data: object) -> tuple[ApprovedText, ...]:
    """Check decoded JSON and build the list from it, in file order.

    ``data`` must be a non-empty list of objects, each with exactly the keys
    ``id``, ``language``, ``author``, ``work``, ``year`` and ``text``, and no
    two with the same id. Anything else is a :class:`ConfigError` naming the
    entry at fault.
    """
    if not isinstance(data, list):
        raise ConfigError(f"the test texts must be a JSON list, not {type(data).__name__}")
    if not data:
        raise ConfigError("the test text list is empty")
    texts: list[ApprovedText] = []
    seen: set[str] = set()
    for index, entry in enumerate(data):
        if not isinstance(entry, dict):
            raise ConfigError(
                f"test text #{index} must be a JSON object, not {type(entry).__name__}"
            )
        keys = set(entry)
        if keys != _FIELDS:
            problems = []
            if missing := sorted(_FIELDS - keys):
                problems.append("missing " + ", ".join(missing))
            if extra := sorted(str(key) for key in keys - _FIELDS):
                problems.append("unknown " + ", ".join(extra))
            raise ConfigError(f"test text #{index}: " + "; ".join(problems))
        text = ApprovedText(
            id=entry["id"],
            language=entry["language"],
            author=entry["author"],
            work=entry["work"],
            year=entry["year"],
            text=entry["text"],
        )
        if text.id in seen:
            raise ConfigError(f"test text #{index}: duplicate id {text.id!r}")
        seen.add(text.id)
        texts.append(text)
    return tuple(texts)


@cache
def approved_texts() -> tuple[ApprovedText, ...]:
    """The approved list, loaded from the package file once and checked."""
    try:
        raw = (
            resources.files("hotline.terminal.linktest")
            .joinpath(_RESOURCE)
            .read_text(encoding="utf-8")
        )
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the approved test texts ({_RESOURCE}): {exc}") from exc
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{_RESOURCE} is not valid JSON: {exc}") from exc
    try:
        return parse_texts(data)
    except ConfigError as exc:
        raise ConfigError(f"{_RESOURCE}: {exc}") from exc


def rotation(
    language: str, *, texts: Sequence[ApprovedText] | None = None
) -> tuple[ApprovedText, ...]:
    """The texts a sender whose test language is ``language`` cycles through.

    First every text in that language, then the other texts in the same
    script, each group in list order; so an Indonesian sender also sends the
    English texts and covers a to z. ``texts`` defaults to :func:`approved_texts`.
    """
    if language not in LANGUAGES:
        raise ConfigError(f"unknown test language {language!r} (choose {_choices()})")
    pool = approved_texts() if texts is None else tuple(texts)
    script = LANGUAGES[language]
    own = tuple(text for text in pool if text.language == language)
    others = tuple(text for text in pool if text.language != language and text.script == script)
    return own + others


def text_for(
    language: str, number: int, *, texts: Sequence[ApprovedText] | None = None
) -> ApprovedText:
    """The text for test ``number`` (0, 1, 2, …): ``rotation(language)[number % len]``."""
    if not isinstance(number, int) or isinstance(number, bool) or number < 0:
        raise ValueError(f"the test number must be a whole number >= 0, not {number!r}")
    cycle = rotation(language, texts=texts)
    if not cycle:
        raise ConfigError(f"no approved test texts in the {LANGUAGES[language]} script")
    return cycle[number % len(cycle)]


def missing_letters(texts: Iterable[ApprovedText], script: str) -> frozenset[str]:
    """The letters of ``script`` that none of ``texts`` uses (case-insensitive)."""
    if script not in SCRIPTS:
        choices = " or ".join(sorted(SCRIPTS))
        raise ValueError(f"unknown script {script!r} (choose {choices})")
    used = {ch for text in texts for ch in text.text.lower()}
    return SCRIPTS[script] - used
