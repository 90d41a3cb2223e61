"""What the console shows of formatted notifications: titles, summaries, renderings, meetings, forms.

A notification's structured data is authoritative, and each side reads it in
its own reader's language (docs/formats.md): the English ``text`` signed into
the body is for a reader without the format. So the console never shows that
text as the notification: it renders ``data`` again, with
:mod:`hotline.formats`, in the language of the person looking:

* :func:`notice_view`: the format's title and one-line summary for the
  traffic view, and for the detail page the full rendering (with this side's
  codebook, for code words) and the data itself as JSON;
* :func:`meeting_view`: where a meeting proposal stands (``list_meetings``;
  the same on both sides) and which replies the state table allows next;
* :func:`format_catalogue`: every format's schema, for the notify page's form
  generator, with each format's title and the unit words in the reader's
  language.

A notification whose format or version this terminal lacks, or whose data
does not validate (a newer or broken peer), is shown by its text as sent,
marked unreadable (``known: false``), never hidden.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Final

from hotline.errors import ConfigError, InvalidArgument
from hotline.formats import (
    FORMATS,
    MEETING_TRANSITIONS,
    TITLES,
    UNITS,
    VALUES,
    Codebook,
    MeetingState,
    get_format,
)
from hotline.store import MeetingRecord, MessageRecord
from hotline.terminal import Terminal
from hotline.terminal.desks.notifications import (
    MEETING,
    MEETING_REPLY,
    NotificationDesk,
    notification_of,
)

__all__ = [
    "NOTIFY_FORMATS",
    "format_catalogue",
    "meeting_of",
    "meeting_view",
    "notice_view",
    "read_codebook",
    "unit_labels",
]

log = logging.getLogger("hotline.console")

#: The formats the notify page offers. A meeting reply answers one proposal, so
#: it is sent from that proposal's page, where its id is known.
NOTIFY_FORMATS: Final = tuple(code for code in FORMATS if code != MEETING_REPLY)
#: Units a number field may name that :data:`~hotline.formats.UNITS` has no word for.
_SYMBOLS: Final = {"degree": "°"}


def _title(code: str, language: str) -> str:
    titles = TITLES.get(code)
    return titles[language] if titles is not None else code


def _after_title(summary: str, title: str) -> str:
    """The summary without its leading ``Title:``; the badge beside it already says that."""
    prefix = f"{title}: "
    return summary[len(prefix) :] if summary.startswith(prefix) else summary


def read_codebook(terminal: Terminal) -> Codebook | None:
    """This side's codebook, or None if it has none or it cannot be read (logged)."""
    try:
        return terminal.desk(NotificationDesk).codebook()
    except ConfigError as exc:
        # A broken codebook must not hide the notice: it renders as "not in the
        # local codebook", and the log says why.
        log.warning("the codebook cannot be read: %s", exc)
        return None


def notice_view(
    record: MessageRecord,
    *,
    language: str,
    full: bool = False,
    codebook: Codebook | None = None,
    current: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """A notification's format, title and summary in ``language``; None for other messages.

    With ``full``, also the whole rendering (``rendered``, code words looked up
    in ``codebook``) and the data as indented JSON (``data_json``). ``current``:
    the data as it stands now, summarised instead of the data as sent (a meeting
    proposal whose replies have since fixed its time: the row must not read
    "to be decided" beside its "scheduled" badge).
    """
    found = notification_of(record)
    if found is None:
        return None
    code, version, data = found
    if current is not None:
        data = current
    first_line = record.text.splitlines()[0] if record.text else code
    view: dict[str, Any] = {
        "format": code,
        "format_version": version,
        "known": False,
        "title": _title(code, language),
        "summary": first_line,
        "line": first_line,
        "data": data,
    }
    if full:
        view["rendered"] = None
        view["data_json"] = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)
    try:
        fmt = get_format(code, version)
        summary = fmt.summary(data, language)
        rendered = fmt.render(data, language, codebook=codebook) if full else None
    except InvalidArgument:  # UnknownFormat, NotificationInvalid: the text as sent stands in
        return view
    title = fmt.titles[language]
    view.update(known=True, title=title, summary=summary, line=_after_title(summary, title))
    if full:
        view["rendered"] = rendered
    return view


def meeting_of(record: MessageRecord, meetings: dict[str, MeetingRecord]) -> MeetingRecord | None:
    """The meeting a proposal opened or a reply answers, from ``meetings`` (by proposal id)."""
    found = notification_of(record)
    if found is None:
        return None
    code, _, data = found
    if code == MEETING:
        return meetings.get(record.id)
    if code == MEETING_REPLY and isinstance(data.get("proposal"), str):
        return meetings.get(data["proposal"])
    return None


def meeting_view(meeting: MeetingRecord, *, language: str) -> dict[str, Any]:
    """Where a proposal stands, in ``language``, and the states a reply may move it to."""
    readings = VALUES["meeting_state"]
    try:
        state: MeetingState | None = MeetingState(meeting.state)
    except ValueError:
        state = None  # written by a newer hotline: shown as stored, with no way on
    following = (
        [] if state is None else sorted(MEETING_TRANSITIONS[state], key=list(MeetingState).index)
    )
    return {
        "proposal": meeting.proposal_id,
        "peer": meeting.peer,
        "state": meeting.state,
        "state_label": readings[meeting.state][language]
        if meeting.state in readings
        else meeting.state,
        "next_states": [
            {"value": str(target), "label": readings[str(target)][language]} for target in following
        ],
        "final": not following,
        "updated_at": meeting.updated_at,
        "last_reply": meeting.last_reply,
    }


def unit_labels(language: str) -> dict[str, str]:
    """The word or symbol shown after a number field's input, by the unit the schema names."""
    labels = {unit: forms[language]["other"] for unit, forms in UNITS.items()}
    labels.update(_SYMBOLS)
    return labels


def format_catalogue(language: str) -> dict[str, Any]:
    """Every format's schema for the form generator, titled in ``language``.

    ``offered`` says whether the notify page lists the format (a meeting reply
    is sent from its proposal's page instead).
    """
    return {
        "language": language,
        "units": unit_labels(language),
        "formats": [
            {**fmt.schema(), "title": fmt.titles[language], "offered": code in NOTIFY_FORMATS}
            for code, fmt in FORMATS.items()
        ],
    }
