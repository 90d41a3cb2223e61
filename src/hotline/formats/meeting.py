"""Summit and meeting proposals, the replies that move them along, and applying a reply.

A ``meeting`` notification proposes a meeting: who proposes it, who would
take part, the conditions attached (free text, possibly none), and a time,
format and place, each of which may still be "tbd" (to be decided). It opens a
thread in state ``proposed``.

A ``meeting-reply`` answers it: the proposal's message id, the state it moves
the thread to, and optionally a time, format or place that it settles, and a
note. :func:`apply_reply` is the one place a reply takes effect: it checks the
move against :data:`~hotline.formats.meetingstate.MEETING_TRANSITIONS`, folds
the reply's time, format and place into the proposal, and refuses a
``scheduled`` meeting whose time or format would still be "tbd". It is a pure
function of (proposal, current state, reply), so both terminals, applying the
same replies in the same order, reach the same state and the same details.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from hotline.errors import NotificationInvalid
from hotline.formats.codewords import Codebook
from hotline.formats.fields import (
    CodeField,
    EnumField,
    ListField,
    Problems,
    TextField,
    TimeField,
)
from hotline.formats.format import Context, Format
from hotline.formats.i18n import Renderer
from hotline.formats.meetingstate import MeetingState, transition

__all__ = [
    "MEETING",
    "MEETING_FORMATS",
    "MEETING_REPLY",
    "REPLY_STATES",
    "SETTLED_BY_REPLY",
    "apply_reply",
]

#: How a meeting may be held; "tbd" while undecided.
MEETING_FORMATS: Final = ("in-person", "video", "phone", "tbd")
#: The states a reply may name (a reply never proposes).
REPLY_STATES: Final = tuple(s.value for s in MeetingState if s is not MeetingState.PROPOSED)
#: The proposal's fields a reply may settle.
SETTLED_BY_REPLY: Final = ("time", "format", "place")


def _time_field(*, required: bool) -> TimeField:
    return TimeField(name="time", label="meeting_time", tbd=True, required=required)


def _format_field(*, required: bool) -> EnumField:
    return EnumField(
        name="format",
        label="meeting_format",
        values=MEETING_FORMATS,
        vocabulary="meeting_format",
        required=required,
    )


def _place_field() -> TextField:
    return TextField(name="place", label="meeting_place", tbd=True, required=False)


def _write_details(data: Mapping[str, Any], r: Renderer) -> list[str]:
    lines = []
    if "time" in data:
        lines.append(r.line("meeting_time", r.moment_or_tbd(data["time"])))
    if "format" in data:
        lines.append(r.line("meeting_format", r.value("meeting_format", data["format"])))
    if "place" in data:
        place = r.phrase("tbd") if data["place"] == "tbd" else data["place"]
        lines.append(r.line("meeting_place", place))
    return lines


# -- meeting -----------------------------------------------------------------------


def _write_meeting(data: Mapping[str, Any], r: Renderer, codebook: Codebook | None) -> list[str]:
    return [
        r.line("proposer", data["proposer"]),
        *r.items("participants", data["participants"]),
        *r.items("conditions", data["conditions"]),
        *_write_details(data, r),
    ]


def _summarise_meeting(data: Mapping[str, Any], r: Renderer) -> str:
    return f"{r.title('meeting')}: {data['proposer']}, {r.moment_or_tbd(data['time'])}"


MEETING: Final = Format(
    code="meeting",
    version=1,
    fields=(
        TextField(name="proposer", max_length=200),
        ListField(
            name="participants",
            item=TextField(name="participant", max_length=200),
            min_items=1,
            max_items=50,
        ),
        ListField(
            name="conditions",
            item=TextField(name="condition", max_length=1000),
            required=False,
            max_items=50,
        ),
        _time_field(required=True),
        _format_field(required=True),
        _place_field(),
    ),
    write=_write_meeting,
    summarise=_summarise_meeting,
)


# -- meeting-reply -----------------------------------------------------------------


def _scheduled_problems(data: Mapping[str, Any], problems: Problems) -> None:
    """A scheduled meeting needs a time and a format, and neither may be "tbd"."""
    for name in ("time", "format"):
        if data.get(name) == "tbd":
            problems.add(name, "scheduled_needs", name=name)


def _check_reply(
    raw: Mapping[str, Any], result: dict[str, Any], problems: Problems, context: Context
) -> None:
    if result.get("state") == MeetingState.SCHEDULED:
        _scheduled_problems(result, problems)


def _write_reply(data: Mapping[str, Any], r: Renderer, codebook: Codebook | None) -> list[str]:
    lines = [
        r.line("proposal", data["proposal"]),
        r.line("meeting_state", r.value("meeting_state", data["state"])),
        *_write_details(data, r),
    ]
    if "note" in data:
        lines.append(r.line("note", data["note"]))
    return lines


def _summarise_reply(data: Mapping[str, Any], r: Renderer) -> str:
    line = f"{r.title('meeting-reply')}: {r.value('meeting_state', data['state'])}"
    if data.get("time", "tbd") != "tbd":
        line += f", {r.moment(data['time'])}"
    return line


MEETING_REPLY: Final = Format(
    code="meeting-reply",
    version=1,
    fields=(
        CodeField(
            name="proposal",
            pattern="[0-9a-f]{32}",
            case="lower",
            description="message_id",
        ),
        EnumField(
            name="state", label="meeting_state", values=REPLY_STATES, vocabulary="meeting_state"
        ),
        _time_field(required=False),
        _format_field(required=False),
        _place_field(),
        TextField(name="note", max_length=2000, multiline=True, required=False),
    ),
    rules=(_check_reply,),
    write=_write_reply,
    summarise=_summarise_reply,
)


def apply_reply(
    proposal_data: Any, current_state: MeetingState | str, reply_data: Any
) -> tuple[MeetingState, dict[str, Any]]:
    """The state and the proposal's details after ``reply_data`` is applied.

    ``proposal_data`` is the ``meeting`` data as it stands (as returned by an
    earlier call), ``current_state`` the thread's state. The reply's time,
    format and place replace the proposal's; its note stays with the reply.
    Raises :class:`~hotline.errors.NotificationInvalid` for invalid data, a
    move the table does not allow (proposed → held), or a ``scheduled`` meeting
    whose time or format would still be "tbd". Checking which proposal the
    reply names is the caller's part: the proposal's id is its envelope's.
    """
    proposal = MEETING.validate(proposal_data, now=None)
    reply = MEETING_REPLY.validate(reply_data, now=None)
    state = transition(current_state, reply["state"])
    settled: dict[str, Any] = {name: reply[name] for name in SETTLED_BY_REPLY if name in reply}
    updated = {**proposal, **settled}
    if state is MeetingState.SCHEDULED:
        problems = Problems()
        _scheduled_problems(updated, problems)
        if len(problems):
            raise NotificationInvalid(problems.found, format_code="meeting-reply")
    return state, MEETING.validate(updated, now=None)
