"""The console's JSON API for formatted notifications: formats, sending, checking, meetings.

* ``GET /api/formats``: every format's schema (the notify form is generated
  from it), titled in the reader's language, with the unit words;
* ``POST /api/notifications``: ``{to, format, data, precedence, channel,
  exercise, override}`` → 201 and the new message's row. Data that breaks the
  format is refused before anything is stored: 422 ``{"error":
  "NotificationInvalid", "detail", "problems": [{"field", "message",
  "detail"}]}``, one problem per bad field (the app's error handler adds
  ``problems``, translated for the reader);
* ``POST /api/notifications/validate``: the same check without sending:
  ``{"valid", "problems", "preview"}``, the preview being the notice as it
  will read, in the reader's language. A meeting reply is also checked against
  the meeting's state table, as sending it would be;
* ``GET /api/meetings``: every meeting proposal and where its replies have
  taken it (the same on both sides).

A meeting reply is an ordinary ``POST /api/notifications`` of format
``meeting-reply``: the proposal's page builds it.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from hotline.console.deps import ConsoleDep, SessionDep, TerminalDep, current_session, require
from hotline.console.notices import format_catalogue, meeting_view, read_codebook
from hotline.console.schemas import NotificationCheck, NotificationCreate
from hotline.console.views import problems_json, terminal_row
from hotline.console.visibility import channel_view, require_member
from hotline.errors import NotificationInvalid, StoreError
from hotline.formats import Problem, apply_reply, get_format
from hotline.terminal import Operator, Permission, Terminal
from hotline.terminal.core import markings_from_json
from hotline.terminal.desks.notifications import MEETING_REPLY, NotificationDesk

__all__ = ["check_meeting_reply", "router"]

Reader = Annotated[Operator, Depends(require(Permission.READ))]
Sender = Annotated[Operator, Depends(require(Permission.SEND))]

formats_router = APIRouter(tags=["notifications"])
notifications_router = APIRouter(prefix="/notifications", tags=["notifications"])
meetings_router = APIRouter(tags=["notifications"])


@formats_router.get("/formats")
async def list_formats(session: SessionDep, _: Reader) -> dict[str, Any]:
    """Every format's schema, for generating its form, in the reader's language."""
    return format_catalogue(session.language)


@notifications_router.post("", status_code=201)
async def post_notification(
    body: NotificationCreate, terminal: TerminalDep, session: SessionDep, operator: Sender
) -> dict[str, Any]:
    """Validate and queue a notification (durable before this answers), or 422 per field.

    On a restricted channel only its members send.
    """
    require_member(terminal, operator, body.channel, "send")
    record = terminal.desk(NotificationDesk).send(
        to=body.to,
        format_code=body.format,
        data=body.data,
        precedence=body.precedence,
        channel=body.channel,
        override=body.override,
        exercise=body.exercise,
        markings=markings_from_json(body.markings),
    )
    return terminal_row(
        terminal, record, ack=None, language=session.language, reader=session.operator.name
    )


def check_meeting_reply(terminal: Terminal, reply: dict[str, Any], *, peer: str | None) -> None:
    """NotificationInvalid unless ``reply`` (validated) may move its meeting as it says.

    The same check the terminal makes when the reply is sent: the proposal must
    be known (with ``peer``, if given), and the move must be in the state table.
    """
    meeting = terminal.store.get_meeting(str(reply.get("proposal", "")))
    if meeting is None or (peer is not None and meeting.peer != peer):
        problem = Problem("proposal", "no_such_proposal")
        raise NotificationInvalid((problem,), format_code=MEETING_REPLY)
    try:
        proposal = json.loads(meeting.data)
    except ValueError as exc:
        raise StoreError(f"meeting {meeting.proposal_id}: its stored data is not JSON") from exc
    apply_reply(proposal, meeting.state, reply)


@notifications_router.post("/validate")
async def validate_notification(
    body: NotificationCheck, console: ConsoleDep, session: SessionDep, _: Sender
) -> dict[str, Any]:
    """Check a notification as sending would, without sending: its problems, or a preview."""
    terminal = console.terminal
    fmt = get_format(body.format)  # UnknownFormat: refused (422) like any other
    try:
        clean = fmt.validate(body.data, now=terminal.clock.now(), override=body.override)
        if fmt.code == MEETING_REPLY:
            check_meeting_reply(terminal, clean, peer=body.to)
    except NotificationInvalid as exc:
        problems = problems_json(exc, language=session.language)
        return {"valid": False, "problems": problems, "preview": None}
    preview = fmt.render(clean, session.language, codebook=read_codebook(terminal))
    return {"valid": True, "problems": [], "preview": preview}


@meetings_router.get("/meetings")
async def list_meetings(
    terminal: TerminalDep, session: SessionDep, operator: Reader
) -> list[dict[str, Any]]:
    """Every meeting proposal, most recently changed first, and the replies it may take.

    A proposal made on a channel restricted to others is left out: its data is
    what the meeting says (console/visibility.py).
    """
    shown = []
    for meeting in terminal.store.list_meetings():
        proposal = terminal.store.get_message(meeting.proposal_id)
        if proposal is None or channel_view(terminal, operator, proposal.channel).readable:
            shown.append(meeting_view(meeting, language=session.language))
    return shown


router = APIRouter(prefix="/api", dependencies=[Depends(current_session)])
for _sub in (formats_router, notifications_router, meetings_router):
    router.include_router(_sub)
