"""The console's JSON API for video and voice calls, and presence requests, under ``/api``.

* ``calls``: ``GET /api/calls`` (recent calls, newest first; ``?live=true``:
  only those not ended, which every page reads to ring), ``GET /api/calls/config``
  (the ICE servers and ring timeout the browser needs), ``GET /api/calls/{id}``
  (the live view: the record plus the peer's signed description and
  candidates), ``POST /api/calls`` (place a call with the browser's offer),
  and per call ``answer``, ``decline``, ``hangup``, ``sdp`` (an ICE
  restart's offer or answer), ``candidate`` and ``media`` (the browser's
  connection state).
* ``presence``: ``GET /api/presence``, ``POST /api/presence`` (ask the peer to
  bring the principal to the machine), ``POST /api/presence/{id}/answer``.

The browser does the media (WebRTC, ``static/call.js``); the terminal signs,
seals and relays the signaling and keeps the record (docs/calls.md). These
routes only hand the browser's words to the terminal's call methods and show
its records: starting, answering, declining and hanging up need
``Permission.CALL``; asking for the principal ``Permission.SEND``, answering
that ``Permission.ACKNOWLEDGE``; reading ``Permission.READ``. Every change is
published by the terminal as a ``calls`` or ``presence`` notice, which the
event stream (``GET /api/events``) passes to the pages as it does any other.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from hotline.console.deps import SessionDep, TerminalDep, current_session, require
from hotline.console.schemas import (
    CallAnswer,
    CallCandidate,
    CallCreate,
    CallDescription,
    CallHangup,
    CallMedia,
    PresenceCreate,
)
from hotline.console.views import call_view, presence_view
from hotline.terminal import Operator, Permission, Terminal
from hotline.terminal.desks.calls import CallDesk, PresenceDesk, presence_json

__all__ = ["router"]

Reader = Annotated[Operator, Depends(require(Permission.READ))]
Caller = Annotated[Operator, Depends(require(Permission.CALL))]
Sender = Annotated[Operator, Depends(require(Permission.SEND))]
Acknowledger = Annotated[Operator, Depends(require(Permission.ACKNOWLEDGE))]

calls_router = APIRouter(prefix="/calls", tags=["calls"])
presence_router = APIRouter(prefix="/presence", tags=["presence"])


def _live(terminal: Terminal, call_id: str, language: str) -> dict[str, Any]:
    return call_view(terminal.desk(CallDesk).live_view(call_id), language=language)


# -- calls ----------------------------------------------------------------------


@calls_router.get("")
async def list_calls(
    terminal: TerminalDep,
    session: SessionDep,
    _: Reader,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    live: bool = False,
) -> list[dict[str, Any]]:
    """Calls, newest first; with ``live=true`` only those not ended (ringing, connected, ...)."""
    desk = terminal.desk(CallDesk)
    records = desk.active() if live else desk.recent(limit)
    return [call_view(desk.view(record), language=session.language) for record in records]


@calls_router.get("/config")
async def call_config(terminal: TerminalDep, _: Reader) -> dict[str, Any]:
    """What the browser needs before it makes an offer: ICE servers, how long a call rings."""
    return {
        "ice_servers": terminal.desk(CallDesk).ice_servers,
        "ring_timeout": terminal.desk(CallDesk).ring_timeout,
    }


@calls_router.get("/{call_id}")
async def get_call(
    call_id: str, terminal: TerminalDep, session: SessionDep, _: Reader
) -> dict[str, Any]:
    """The call and, while it is live, the peer's signed description, fingerprint and candidates."""
    return _live(terminal, call_id, session.language)


@calls_router.post("", status_code=201)
async def place_call(
    body: CallCreate, terminal: TerminalDep, session: SessionDep, operator: Caller
) -> dict[str, Any]:
    """Place a call with the browser's offer; to a peer whose line is down it has failed at once."""
    record = terminal.desk(CallDesk).place(
        to=body.to, channel=body.channel, kind=body.kind, sdp=body.sdp, operator=operator
    )
    return _live(terminal, record.id, session.language)


@calls_router.post("/{call_id}/answer")
async def answer_call(
    call_id: str, body: CallAnswer, terminal: TerminalDep, session: SessionDep, operator: Caller
) -> dict[str, Any]:
    """Answer a ringing call with the browser's answer to the peer's offer."""
    terminal.desk(CallDesk).answer(call_id, sdp=body.sdp, operator=operator)
    return _live(terminal, call_id, session.language)


@calls_router.post("/{call_id}/decline")
async def decline_call(
    call_id: str, terminal: TerminalDep, session: SessionDep, operator: Caller
) -> dict[str, Any]:
    """Decline a ringing call: both records end "declined"."""
    terminal.desk(CallDesk).decline(call_id, operator=operator)
    return _live(terminal, call_id, session.language)


@calls_router.post("/{call_id}/hangup")
async def hang_up(
    call_id: str, body: CallHangup, terminal: TerminalDep, session: SessionDep, operator: Caller
) -> dict[str, Any]:
    """Hang up (or give up, ``failed`` with the reason); an ended call is returned unchanged."""
    terminal.desk(CallDesk).hang_up(
        call_id, operator=operator, failed=body.failed, reason=body.reason
    )
    return _live(terminal, call_id, session.language)


@calls_router.post("/{call_id}/sdp")
async def renegotiate(
    call_id: str,
    body: CallDescription,
    terminal: TerminalDep,
    session: SessionDep,
    operator: Caller,
) -> dict[str, Any]:
    """An ICE restart: the caller's new offer, or the callee's answer to it."""
    terminal.desk(CallDesk).renegotiate(
        call_id, sdp_type=body.type, sdp=body.sdp, operator=operator
    )
    return _live(terminal, call_id, session.language)


@calls_router.post("/{call_id}/candidate", status_code=204)
async def add_candidate(
    call_id: str, body: CallCandidate, terminal: TerminalDep, operator: Caller
) -> None:
    """A trickled ICE candidate for the peer's browser."""
    terminal.desk(CallDesk).add_candidate(call_id, candidate=body.init(), operator=operator)


@calls_router.post("/{call_id}/media")
async def report_media(
    call_id: str, body: CallMedia, terminal: TerminalDep, session: SessionDep, operator: Caller
) -> dict[str, Any]:
    """The browser's media path: connected, or lost (the call shows "reconnecting")."""
    terminal.desk(CallDesk).report_media(call_id, state=body.state, operator=operator)
    return _live(terminal, call_id, session.language)


# -- presence requests ----------------------------------------------------------


@presence_router.get("")
async def list_presence(
    terminal: TerminalDep,
    session: SessionDep,
    _: Reader,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    open_only: bool = False,
) -> list[dict[str, Any]]:
    """Presence requests both ways, newest first (``open_only``: not yet answered)."""
    return [
        presence_view(presence_json(record), language=session.language)
        for record in terminal.desk(PresenceDesk).recent(open_only=open_only)[:limit]
    ]


@presence_router.post("", status_code=201)
async def request_presence(
    body: PresenceCreate, terminal: TerminalDep, session: SessionDep, operator: Sender
) -> dict[str, Any]:
    """Ask the peer's console to bring the principal to the machine."""
    record = terminal.desk(PresenceDesk).request(
        to=body.to, channel=body.channel, operator=operator, note=body.note
    )
    return presence_view(presence_json(record), language=session.language)


@presence_router.post("/{request_id}/answer")
async def answer_presence(
    request_id: str, terminal: TerminalDep, session: SessionDep, operator: Acknowledger
) -> dict[str, Any]:
    """The principal is at the machine: the requesting side is told who, and when."""
    record = terminal.desk(PresenceDesk).answer(request_id, operator=operator)
    return presence_view(presence_json(record), language=session.language)


router = APIRouter(prefix="/api", dependencies=[Depends(current_session)])
for _sub in (calls_router, presence_router):
    router.include_router(_sub)
