"""The console's JSON API under ``/api``: one router per resource.

* ``status``: ``GET /api/status`` (the line view's data)
* ``messages``: ``GET/POST /api/messages``, ``GET /api/messages/{id}``,
  ``POST /api/messages/{id}/ack``; each message with its acknowledgement
  deadline and ``overdue`` flag, and for a notification its format, title and
  summary in the reader's language (formatted notifications are sent through
  :mod:`hotline.console.routes.notifications`)
* ``alarms``: ``POST /api/alarms/{id}/ack``
* ``shift notes``: ``GET/POST /api/shift-notes``
* ``language``: ``POST /api/language``
* ``events``: ``GET /api/events``, server-sent events: one ``change`` event
  per batch of change notices (``{"seq": .., "topics": [..]}``), and a
  comment line every 15 s when nothing happens, so proxies keep it open and a
  dead connection is noticed. The browser re-reads what it shows on each.
* ``GET /api/openapi.json``: this API's description (behind the session too).

Every route needs a session (``SessionGate`` and the router's dependency),
checks the role's permission, and is ``async def`` so it runs on the loop
thread that owns the store. State-changing routes check the CSRF token.
Errors are ``{"error": "<HotlineError class>", "detail": ...}``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from hotline.console.deps import (
    ConsoleDep,
    SessionDep,
    TerminalDep,
    TokenDep,
    current_session,
    require,
)
from hotline.console.detail import message_detail, with_actions
from hotline.console.i18n import format_utc_text
from hotline.console.marking_view import typed_markings
from hotline.console.schemas import LanguageChange, MessageCreate, ReleaseCreate, ShiftNoteCreate
from hotline.console.state import ConsoleState
from hotline.console.views import alarm_view, note_view, status_view, terminal_row, traffic
from hotline.console.visibility import message_view, redacted, require_member, visible_row
from hotline.errors import UnknownMessage, UnknownUser
from hotline.terminal import Notice, Operator, Permission
from hotline.terminal.api.models import Acknowledgement
from hotline.terminal.desks.acks import AckDesk
from hotline.terminal.desks.releases import ReleaseDesk, release_json
from hotline.terminal.desks.shiftlog import ShiftLog

__all__ = ["router"]

Reader = Annotated[Operator, Depends(require(Permission.READ))]
Sender = Annotated[Operator, Depends(require(Permission.SEND))]
Acknowledger = Annotated[Operator, Depends(require(Permission.ACKNOWLEDGE))]
AlarmAcknowledger = Annotated[Operator, Depends(require(Permission.ACKNOWLEDGE_ALARM))]
NoteWriter = Annotated[Operator, Depends(require(Permission.SHIFT_NOTE))]

status_router = APIRouter(tags=["status"])
messages_router = APIRouter(prefix="/messages", tags=["messages"])
alarms_router = APIRouter(prefix="/alarms", tags=["alarms"])
notes_router = APIRouter(prefix="/shift-notes", tags=["shift notes"])
language_router = APIRouter(tags=["language"])
events_router = APIRouter(tags=["events"])


@status_router.get("/status")
async def get_status(terminal: TerminalDep, session: SessionDep, _: Reader) -> dict[str, Any]:
    """The line to every peer (routes, RTT history, last tests) and the open alarms."""
    return status_view(terminal, language=session.language)


@status_router.get("/openapi.json", include_in_schema=False)
async def get_openapi(request: Request, _: Reader) -> dict[str, Any]:
    schema: dict[str, Any] = request.app.openapi()
    return schema


# -- messages -------------------------------------------------------------------


@messages_router.get("")
async def list_messages(
    terminal: TerminalDep,
    session: SessionDep,
    operator: Reader,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    """The traffic: FLASH first, then newest first; a restricted channel's text only to members,
    a marked message's as its markings say."""
    return [
        visible_row(terminal, operator, row)
        for row in traffic(
            terminal, limit=limit, language=session.language, reader=session.operator.name
        )
    ]


@messages_router.post("", status_code=201)
async def post_message(
    body: MessageCreate, terminal: TerminalDep, session: SessionDep, operator: Sender
) -> dict[str, Any]:
    """Queue a message (durable before this answers); the row shows its state at once.

    On a restricted channel only its members send.
    """
    require_member(terminal, operator, body.channel, "send")
    record = terminal.send_text(
        to=body.to,
        text=body.text,
        precedence=body.precedence,
        channel=body.channel,
        exercise=body.exercise,
        # The console's compose form sends the embargo as typed: canonical here.
        markings=typed_markings(body.markings),
    )
    return visible_row(
        terminal,
        operator,
        terminal_row(
            terminal, record, ack=None, language=session.language, reader=session.operator.name
        ),
    )


@messages_router.get("/{message_id}")
async def get_message(
    message_id: str, console: ConsoleDep, session: SessionDep, operator: Reader
) -> dict[str, Any]:
    """Every envelope field, with signature, receipt and acknowledgement checked again."""
    record = console.terminal.store.get_message(message_id)
    if record is None:
        raise UnknownMessage(f"no message with id {message_id}")
    detail = message_detail(
        console.terminal,
        record,
        fingerprint=console.fingerprint,
        language=session.language,
        reader=operator.name,
    )
    return redacted(
        with_actions(detail, operator), message_view(console.terminal, operator, record)
    )


@messages_router.post("/{message_id}/ack", status_code=201)
async def acknowledge_message(
    message_id: str, terminal: TerminalDep, session: SessionDep, operator: Acknowledger
) -> dict[str, Any]:
    """Acknowledge an incoming message in the operator's name; the peer is told, signed.

    The shared shape (:class:`~hotline.terminal.api.models.Acknowledgement`), as the
    control socket answers it, plus the time as the reader reads it under ``display``.
    On a restricted channel only its members acknowledge, each in their own name.
    """
    record = terminal.store.get_message(message_id)
    if record is not None:
        require_member(terminal, operator, record.channel, "acknowledge")
    ack = Acknowledgement.of(terminal.desk(AckDesk).acknowledge(message_id, operator))
    display = {"acknowledged_at": format_utc_text(ack.acknowledged_at, session.language)}
    return {**ack.model_dump(), "display": display}


@messages_router.post("/{message_id}/release", status_code=201)
async def release_message(
    message_id: str,
    body: ReleaseCreate,
    terminal: TerminalDep,
    session: SessionDep,
    operator: Sender,
) -> dict[str, Any]:
    """Release a marked message (docs/protocol/markings.md §3): it becomes a public statement."""
    releases = terminal.desk(ReleaseDesk).release(
        message_id, public_text=body.public_text, operator=operator
    )
    display = {"released_at": format_utc_text(releases[0].released_at, session.language)}
    copies = [release_json(r) for r in releases]
    return {**release_json(releases[0]), "copies": copies, "display": display}


# -- alarms ---------------------------------------------------------------------


@alarms_router.post("/{alarm_id}/ack")
async def acknowledge_alarm(
    alarm_id: str, terminal: TerminalDep, session: SessionDep, operator: AlarmAcknowledger
) -> dict[str, Any]:
    """An operator has seen the alarm: it stops sounding (it stays open until it clears)."""
    alarm = terminal.acknowledge_alarm(alarm_id, operator)
    return alarm_view(alarm, language=session.language)


# -- shift notes ----------------------------------------------------------------


@notes_router.get("")
async def list_notes(
    terminal: TerminalDep,
    session: SessionDep,
    _: Reader,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Handover notes, newest first, each with whether its signature verifies."""
    return [
        note_view(note, language=session.language)
        for note in terminal.desk(ShiftLog).recent(limit=limit)
    ]


@notes_router.post("", status_code=201)
async def post_note(
    body: ShiftNoteCreate, terminal: TerminalDep, session: SessionDep, operator: NoteWriter
) -> dict[str, Any]:
    """Write a handover note, signed with the operator's own key and journaled."""
    note = terminal.desk(ShiftLog).add(operator, body.text)
    return note_view(note, language=session.language)


# -- language -------------------------------------------------------------------


@language_router.post("/language")
async def set_language(
    body: LanguageChange, console: ConsoleDep, session: SessionDep, token: TokenDep
) -> dict[str, str]:
    """Switch the interface language, for this session and the user's next logins."""
    store = console.terminal.store
    user = store.get_user(session.operator.name)
    if user is None:
        raise UnknownUser(f"no user named {session.operator.name!r}")
    console.sessions.set_language(token, body.language)
    if user.language != body.language:
        store.update_user(dataclasses.replace(user, language=body.language))
    return {"language": body.language}


# -- events ---------------------------------------------------------------------


async def _next_notices(console: ConsoleState, seq: int) -> list[Notice]:
    """Notices after ``seq`` within the ping interval; [] if none came or the server stops."""
    waiter = asyncio.ensure_future(console.terminal.events.wait(seq, within=console.event_ping))
    closing = asyncio.ensure_future(console.closing.wait())
    try:
        await asyncio.wait({waiter, closing}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (waiter, closing):
            if not task.done():
                task.cancel()
    if waiter.done() and not waiter.cancelled():
        return waiter.result()
    return []


def _event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


@events_router.get("/events")
async def events(console: ConsoleDep, token: TokenDep, _: Reader) -> StreamingResponse:
    """Server-sent events: a ``change`` event whenever something shown may have changed."""

    async def stream() -> AsyncIterator[str]:
        seq = console.terminal.events.seq
        yield "retry: 2000\n\n"
        yield _event("ready", {"seq": seq})
        while not console.closing.is_set():
            # A stream must not outlive its session (logout, expiry): the next
            # connection attempt then meets the gate and gets 401.
            if console.sessions.get(token, touch=False) is None:
                return
            notices = await _next_notices(console, seq)
            if notices:
                seq = max(notice.seq for notice in notices)
                topics = sorted({notice.topic for notice in notices})
                yield _event("change", {"seq": seq, "topics": topics})
            elif not console.closing.is_set():
                yield ": ping\n\n"

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"X-Accel-Buffering": "no"},  # a proxy in front must not hold events back
    )


router = APIRouter(prefix="/api", dependencies=[Depends(current_session)])
for _sub in (
    status_router,
    messages_router,
    alarms_router,
    notes_router,
    language_router,
    events_router,
):
    router.include_router(_sub)
