"""A notification format: a stable code and version, its fields, its rules, and its renderings.

Risk-reduction centres exchange *agreed-format* notifications: both sides
agreed beforehand which fields a launch notice has, so a notice can be checked
before it is sent and read by a machine when it arrives. A :class:`Format` is
one such agreement, under a ``code`` that never changes meaning and a
``version`` that changes when the fields do.

A format is data plus three small functions supplied by the module that
defines it: ``rules`` (checks across several fields, such as a launch's lead
time), ``write`` (the lines of a rendering) and ``summarise`` (one line for a
list). Everything else — checking every field, collecting every problem,
titles, the JSON schema for forms — is the same for every format and lives here.

The structured data is authoritative; a rendering is a view of it, built only
from data that has passed validation, so no rendering can show something the
data does not say.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from hotline.formats.fields import INVALID, Field, Problems, check_definition, check_fields
from hotline.formats.i18n import LANGUAGES, TITLES, Renderer

if TYPE_CHECKING:  # codewords defines a format, so it imports this module
    from hotline.formats.codewords import Codebook

__all__ = ["Context", "Format", "Rule", "Summariser", "Writer"]

_CODE = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")


@dataclass(frozen=True, slots=True, kw_only=True)
class Context:
    """What a validation may depend on besides the data: the time, and the caller's overrides.

    ``now`` is None when checking data whose timing was already checked when it
    was sent (a stored or received notice rendered again): rules about lead
    time then keep what the data says.
    """

    now: datetime | None
    override: bool = False

    def __post_init__(self) -> None:
        if self.now is not None and self.now.tzinfo is None:
            raise ValueError("now must be a timezone-aware datetime (UTC)")


#: A rule across fields: (the raw data, the fields that passed, problems, context).
#: It may add problems, and may set computed fields in the result.
Rule = Callable[[Mapping[str, Any], dict[str, Any], Problems, Context], None]
#: The lines of a rendering after its title, from validated data.
Writer = Callable[[Mapping[str, Any], Renderer, "Codebook | None"], list[str]]
#: One line for lists, from validated data.
Summariser = Callable[[Mapping[str, Any], Renderer], str]


@dataclass(frozen=True, slots=True, kw_only=True)
class Format:
    """One agreed notification format. Don't subclass: supply ``rules``, ``write``, ``summarise``."""

    #: Stable identifier ("flight", "meeting-reply"); its meaning never changes.
    code: str
    #: Bumped whenever the fields change; the envelope body carries it.
    version: int
    #: The fields, in the order a form shows them.
    fields: tuple[Field, ...]
    write: Writer
    summarise: Summariser
    rules: tuple[Rule, ...] = ()
    #: Groups of optional fields of which exactly one must be given.
    exactly_one_of: tuple[tuple[str, ...], ...] = ()
    #: Groups of optional fields of which at least one must be given.
    at_least_one_of: tuple[tuple[str, ...], ...] = ()

    def __post_init__(self) -> None:
        if not _CODE.fullmatch(self.code):
            raise ValueError(f"format code {self.code!r} is not lower-case words joined by -")
        if isinstance(self.version, bool) or not isinstance(self.version, int) or self.version < 1:
            raise ValueError(f"format {self.code}: version must be a positive integer")
        if self.code not in TITLES:
            raise ValueError(f"format {self.code}: no title in TITLES")
        check_definition(self.fields, self.exactly_one_of, self.at_least_one_of)

    @property
    def titles(self) -> Mapping[str, str]:
        """The format's title in each language."""
        return TITLES[self.code]

    def validate(
        self, data: Any, *, now: datetime | None, override: bool = False
    ) -> dict[str, Any]:
        """The data in canonical form, or NotificationInvalid listing every problem.

        ``now`` is the time the notice is given (an aware datetime), against
        which lead-time rules are checked, or None to skip them and keep what
        the data says (see :class:`Context`). ``override`` is the operator's
        explicit consent to a rule's exception, such as a launch notice with
        less than 24 h lead; it is flagged in the result, never silent.
        """
        context = Context(now=now, override=override)
        problems = Problems()
        result = check_fields(
            data,
            "",
            problems,
            fields=self.fields,
            exactly_one_of=self.exactly_one_of,
            at_least_one_of=self.at_least_one_of,
        )
        if result is INVALID:
            problems.raise_if_any(self.code)
        for rule in self.rules:
            rule(data, result, problems, context)
        problems.raise_if_any(self.code)
        return dict(result)

    def render(self, data: Any, language: str, *, codebook: Codebook | None = None) -> str:
        """The notice as text in ``language``: a title line, then one line per field.

        The data is validated first (without time rules), so a rendering only
        ever shows data that passed; ``codebook`` gives the meanings of code words.
        """
        reader = Renderer(language)
        clean = self.validate(data, now=None)
        title = f"{reader.title(self.code).upper()} ({self.code} v{self.version})"
        return "\n".join([title, *self.write(clean, reader, codebook)])

    def summary(self, data: Any, language: str) -> str:
        """One line for a list of messages, in ``language``."""
        reader = Renderer(language)
        return self.summarise(self.validate(data, now=None), reader)

    def schema(self) -> dict[str, Any]:
        """A JSON-able description of the format, for generating a form from it."""
        return {
            "code": self.code,
            "version": self.version,
            "titles": {language: self.titles[language] for language in LANGUAGES},
            "fields": [field.describe() for field in self.fields],
            "exactly_one_of": [list(group) for group in self.exactly_one_of],
            "at_least_one_of": [list(group) for group in self.at_least_one_of],
        }
