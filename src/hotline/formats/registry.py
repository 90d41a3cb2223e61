"""Every notification format this hotline knows, by code, and the message body that carries one.

This is the table a terminal consults when a notification arrives. A
notification travels as an envelope of kind ``notification`` whose sealed
body is::

    {"text": <the English rendering>, "format": "launch", "version": 1, "data": {…}}

:func:`get_format` finds the format by code and version or raises
:class:`~hotline.errors.UnknownFormat`, listing the codes it does know. A code
is never reused for different fields; a new set of fields is a new version,
and a terminal that lacks it says so instead of guessing. The ``text`` is for
a reader without the format (an older terminal, a printed transcript); a
terminal that has the format renders ``data`` in its own reader's language,
because the data is authoritative.

:func:`notification_body` builds a body from an operator's data (validated
against the time the notice is given); :func:`read_notification_body` checks a
received one, against the envelope's signed ``sent_at``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, Final

from hotline.errors import NotificationInvalid, UnknownFormat
from hotline.formats.codewords import CODEWORD, Codebook
from hotline.formats.format import Format
from hotline.formats.launch import LAUNCH
from hotline.formats.meeting import MEETING, MEETING_REPLY
from hotline.formats.notices import CEASEFIRE, EXERCISE, FLIGHT
from hotline.formats.problems import Problem

__all__ = [
    "FORMATS",
    "get_format",
    "notification_body",
    "read_notification_body",
    "render_text",
    "summary",
]

#: Every format, by code, in the order ``hotline formats`` lists them.
FORMATS: Final[Mapping[str, Format]] = MappingProxyType(
    {
        fmt.code: fmt
        for fmt in (FLIGHT, LAUNCH, EXERCISE, MEETING, MEETING_REPLY, CEASEFIRE, CODEWORD)
    }
)


def get_format(code: str, version: int | None = None) -> Format:
    """The format with ``code`` (and ``version``, if given), else UnknownFormat."""
    fmt = FORMATS.get(code) if isinstance(code, str) else None
    if fmt is None:
        raise UnknownFormat(
            f"unknown notification format {code!r}; known formats: {', '.join(FORMATS)}"
        )
    if version is not None and version != fmt.version:
        raise UnknownFormat(
            f"format {code!r} version {version!r} is not known here; this hotline has version "
            f"{fmt.version}"
        )
    return fmt


def render_text(code: str, data: Any, language: str, codebook: Codebook | None = None) -> str:
    """The notification ``data`` of format ``code``, rendered as text in ``language``."""
    return get_format(code).render(data, language, codebook=codebook)


def summary(code: str, data: Any, language: str) -> str:
    """One line describing the notification, in ``language``, for lists of messages."""
    return get_format(code).summary(data, language)


def notification_body(
    code: str, data: Any, *, now: datetime, override: bool = False
) -> dict[str, Any]:
    """The body of a ``notification`` envelope for ``data``, validated as given at ``now``.

    Raises NotificationInvalid (every problem, by field) or UnknownFormat before
    anything is sent. ``override`` is the operator's explicit late-notice consent.
    """
    fmt = get_format(code)
    clean = fmt.validate(data, now=now, override=override)
    return {
        "text": fmt.render(clean, "en"),
        "format": fmt.code,
        "version": fmt.version,
        "data": clean,
    }


def read_notification_body(
    body: Any, *, sent_at: datetime | None = None
) -> tuple[Format, dict[str, Any]]:
    """The format and canonical data of a received ``notification`` body.

    With ``sent_at`` (the envelope's signed sending time), time rules are
    checked as of then, and the data's own ``late_notice`` flag stands for the
    sender's override: a launch notice sent late *and flagged* passes, one sent
    late without the flag does not. Raises UnknownFormat for a format or version
    this hotline lacks, NotificationInvalid for anything else wrong.
    """
    if not isinstance(body, Mapping):
        raise NotificationInvalid((Problem("", "body_not_object"),))
    problems = []
    if not isinstance(body.get("format"), str):
        problems.append(Problem("format", "body_no_format"))
    version = body.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        problems.append(Problem("version", "body_no_version"))
    if not isinstance(body.get("data"), Mapping):
        problems.append(Problem("data", "body_no_data"))
    if "text" in body and not isinstance(body["text"], str):
        problems.append(Problem("text", "not_text"))
    if problems:
        raise NotificationInvalid(problems)
    fmt = get_format(body["format"], version)
    data = body["data"]
    override = sent_at is not None and data.get("late_notice") is True
    return fmt, fmt.validate(data, now=sent_at, override=override)
