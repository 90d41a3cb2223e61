"""A notification's validation problems, field by field, in the operator's own language.

:class:`~hotline.errors.NotificationInvalid` lists every problem as ``(path,
message)``, the message in English (``hotline.formats`` is pure and speaks to
programs and logs). An operator drafting a launch notice in Moscow should read
"не меньше 1" beside the field, not "must be at least 1", so the console
translates the messages it knows: each known wording is a pattern here, with
a gettext msgid whose ``%(placeholders)s`` take the pattern's parts (numbers,
field names, a typed value). A message no pattern knows is shown in English,
never dropped. A test runs real validation failures through this table, so a
changed wording in ``hotline.formats`` is noticed.

The API answers a refused notification with every problem as
``{"field": path, "message": <in the reader's language>, "detail": <English>}``
(:func:`problems_json`); the notify form puts each beside its field.
"""

from __future__ import annotations

import re
from typing import Final

from hotline.console.i18n import N_, Catalogues
from hotline.errors import NotificationInvalid
from hotline.formats import LATE_NOTICE_PROBLEM

__all__ = ["NO_SUCH_PROPOSAL", "PROBLEM_PATTERNS", "problems_json", "translate_problem"]

#: The console's own problem for a meeting reply to no known proposal (with that
#: peer), on ``proposal``: the terminal refuses such a reply as UnknownMessage.
NO_SUCH_PROPOSAL: Final = "no meeting proposal with this id and peer"

_NUMBER = r"-?[0-9]+(?:\.[0-9]+)?"
_NAMES = r"[a-z0-9_, -]+"


def _pattern(regex: str, msgid: str) -> tuple[re.Pattern[str], str]:
    return re.compile(regex), msgid


#: (English wording as a pattern, msgid): the named groups fill the msgid's placeholders.
PROBLEM_PATTERNS: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    _pattern(r"required", N_("required")),
    _pattern(r"unknown field", N_("unknown field")),
    _pattern(r"must be text", N_("must be text")),
    _pattern(r"must not be empty", N_("must not be empty")),
    _pattern(
        r"must not contain control or text-direction characters \((?P<char>U\+[0-9A-F]{4,6})\)",
        N_("must not contain control or text-direction characters (%(char)s)"),
    ),
    _pattern(
        rf"must be at most (?P<count>{_NUMBER}) characters",
        N_("must be at most %(count)s characters"),
    ),
    _pattern(r"must be a whole number", N_("must be a whole number")),
    _pattern(r"must be a number", N_("must be a number")),
    _pattern(r"must be a finite number", N_("must be a finite number")),
    _pattern(rf"must be at least (?P<limit>{_NUMBER})", N_("must be at least %(limit)s")),
    _pattern(rf"must be at most (?P<limit>{_NUMBER})", N_("must be at most %(limit)s")),
    _pattern(rf"must be greater than (?P<limit>{_NUMBER})", N_("must be greater than %(limit)s")),
    _pattern(
        r"must be a UTC time like 2026-11-23T14:00:00Z",
        N_("must be a UTC time like 2026-11-23T14:00:00Z"),
    ),
    _pattern(
        r"must be a UTC time like 2026-11-23T14:00:00Z or tbd",
        N_("must be a UTC time like 2026-11-23T14:00:00Z, or to be decided"),
    ),
    _pattern(
        r"is not a real date and time: (?P<text>.+)",
        N_("is not a real date and time: %(text)s"),
    ),
    _pattern(rf"must be one of: (?P<values>{_NAMES})", N_("must be one of: %(values)s")),
    _pattern(r"must be true or false", N_("must be true or false")),
    _pattern(r"must be a list", N_("must be a list")),
    _pattern(
        rf"must have at least (?P<count>{_NUMBER}) items", N_("must have at least %(count)s items")
    ),
    _pattern(
        rf"must have at most (?P<count>{_NUMBER}) items", N_("must have at most %(count)s items")
    ),
    _pattern(
        rf"must be an object with the fields (?P<names>{_NAMES})",
        N_("must be an object with the fields %(names)s"),
    ),
    _pattern(
        rf"must be an object with one of: (?P<names>{_NAMES})",
        N_("must be an object with one of: %(names)s"),
    ),
    _pattern(
        rf"unknown kind; expected one of: (?P<names>{_NAMES})",
        N_("unknown kind; expected one of: %(names)s"),
    ),
    _pattern(rf"must have only one of: (?P<names>{_NAMES})", N_("give only one of: %(names)s")),
    _pattern(rf"required: give one of (?P<names>{_NAMES})", N_("required: give one of %(names)s")),
    _pattern(rf"give only one of (?P<names>{_NAMES})", N_("give only one of: %(names)s")),
    _pattern(rf"give at least one of (?P<names>{_NAMES})", N_("give at least one of %(names)s")),
    _pattern(r"must be later than (?P<name>[a-z_]+)", N_("must be later than %(name)s")),
    _pattern(
        r"must be a code word of 1 to 32 letters A-Z",
        N_("must be a code word of 1 to 32 letters A-Z"),
    ),
    _pattern(
        re.escape(LATE_NOTICE_PROBLEM),
        N_(
            "less than 24 hours before the launch window: "
            "send it only with the explicit late-notice override"
        ),
    ),
    _pattern(re.escape(NO_SUCH_PROPOSAL), N_("no meeting proposal with this id and peer")),
    _pattern(
        r"a scheduled meeting needs a (?P<name>time|format), not tbd",
        N_("a scheduled meeting needs a %(name)s that is decided"),
    ),
    _pattern(
        r"a (?P<state>[a-z-]+) meeting cannot become (?P<target>[a-z-]+); "
        r"it can become (?P<allowed>.+)",
        N_("a %(state)s meeting cannot become %(target)s; it can become %(allowed)s"),
    ),
)


def translate_problem(message: str, language: str, catalogues: Catalogues) -> str:
    """``message`` in ``language`` if its wording is known; otherwise as it is (English)."""
    for pattern, msgid in PROBLEM_PATTERNS:
        match = pattern.fullmatch(message)
        if match is not None:
            return catalogues.gettext(language, msgid) % match.groupdict()
    return message


def problems_json(
    exc: NotificationInvalid, *, language: str, catalogues: Catalogues
) -> list[dict[str, str]]:
    """Every problem of ``exc`` for the API: its field path, and the message translated."""
    return [
        {
            "field": path,
            "message": translate_problem(message, language, catalogues),
            "detail": message,
        }
        for path, message in exc.problems
    ]
