"""The console's HTML pages: ``/`` (line), ``/traffic``, ``/messages/{id}``, ``/notify``,
``/reports``, ``/calls``, ``/shift``.

Each page is rendered by the server in the user's language with the data it
shows embedded as JSON (never as script): ``console.js`` draws from that data
at once, then keeps it live from ``/api/events``. The header on every page
carries the party, the EXERCISE banner, the clocks (ZULU, this party's local
time, each peer's, from the cards' time zones), the language switcher, the
user and their role, and logout; and below it, on every page, an incoming
call ringing, an open presence request, and the panel of a call in progress
(``call.js``), so that a call is answered wherever the operator happens to be.
"""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_time
from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse

from hotline.console.charts import report_chart
from hotline.console.deps import ConsoleDep, SessionDep, current_session
from hotline.console.detail import message_detail, with_actions
from hotline.console.i18n import LANGUAGE_NAMES, N_
from hotline.console.marking_view import EMPTY_MARKING_FORM
from hotline.console.notices import NOTIFY_FORMATS, format_catalogue
from hotline.console.reports import PERIOD_LABELS, report_view
from hotline.console.routes.reports import QueryDep
from hotline.console.security import ConsoleSession
from hotline.console.state import ConsoleState
from hotline.console.views import call_view, note_view, presence_view, status_view, traffic
from hotline.console.visibility import message_view, redacted, visible_row
from hotline.crypto import Precedence
from hotline.errors import UnknownMessage
from hotline.terminal import DEFAULT_CHANNEL, Permission, Role, Terminal
from hotline.terminal.desks.calls import CallDesk, PresenceDesk, presence_json
from hotline.terminal.desks.shiftlog import ShiftLog

__all__ = ["ROLE_LABELS", "clocks", "render_page", "router"]

router = APIRouter(tags=["pages"], dependencies=[Depends(current_session)], include_in_schema=False)

ROLE_LABELS: dict[Role, str] = {
    Role.OPERATOR: N_("Operator"),
    Role.PRINCIPAL: N_("Principal"),
    Role.AUDITOR: N_("Auditor"),
    Role.ADMIN: N_("Administrator"),
    Role.SIGNATORY: N_("Signatory"),
}
#: How many messages the traffic page shows.
TRAFFIC_ROWS = 200
#: How many calls the traffic and calls pages list.
CALL_ROWS = 100
#: How many answered presence requests every page carries (to show the requester the answer).
RECENT_PRESENCE = 10


def _precedences() -> list[str]:
    """Every precedence, FLASH first."""
    return [p.value for p in sorted(Precedence, key=lambda p: p.rank)]


def _calls(terminal: Terminal, language: str) -> list[dict[str, Any]]:
    desk = terminal.desk(CallDesk)
    return [call_view(desk.view(record), language=language) for record in desk.recent(CALL_ROWS)]


def clocks(console: ConsoleState, language: str) -> list[dict[str, Any]]:
    """ZULU, this party's local time, and each peer's, with their first reading."""
    terminal = console.terminal
    now = terminal.clock.now()
    zones = [("ZULU", "UTC", True), (terminal.party, terminal.settings.timezone, False)]
    zones += [(peer.party, peer.timezone, False) for peer in terminal.store.list_peers()]
    shown = []
    for label, zone, zulu in zones:
        try:
            tzinfo = ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            continue  # a card's zone this machine does not know: no clock rather than a wrong one
        reading = format_time(now, "HH:mm:ss", tzinfo=tzinfo, locale=language)
        shown.append(
            {
                "label": label,
                "timezone": zone,
                "zulu": zulu,
                "reading": reading + ("Z" if zulu else ""),
            }
        )
    return shown


def render_page(
    console: ConsoleState,
    session: ConsoleSession,
    template: str,
    *,
    page: str,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Render a page with the header's context; the language is the session's.

    Every page carries the live calls and the open (and newest) presence
    requests, so that a call ringing shows (and sounds) at once, before the
    first refresh.
    """
    operator = session.operator
    language = session.language
    calls = console.terminal.desk(CallDesk)
    html = console.pages.render(
        template,
        language=language,
        page=page,
        party=console.terminal.party,
        exercise=console.terminal.settings.exercise,
        operator=operator,
        role_label=console.catalogues.gettext(language, ROLE_LABELS[operator.role]),
        csrf_token=session.csrf_token,
        languages=LANGUAGE_NAMES,
        clocks=clocks(console, language),
        server_now_ms=int(console.terminal.clock.now().timestamp() * 1000),
        strings=console.catalogues.client_strings(language),
        can={
            "send": operator.may(Permission.SEND),
            "call": operator.may(Permission.CALL),
            "acknowledge": operator.may(Permission.ACKNOWLEDGE),
            "acknowledge_alarm": operator.may(Permission.ACKNOWLEDGE_ALARM),
            "shift_note": operator.may(Permission.SHIFT_NOTE),
            "manage_users": operator.may(Permission.MANAGE_USERS),
        },
        live_calls=[call_view(calls.view(record), language=language) for record in calls.active()],
        recent_presence=[
            presence_view(presence_json(record), language=language)
            for index, record in enumerate(console.terminal.desk(PresenceDesk).recent())
            # Open ones ring until answered; the newest answered ones tell the requester.
            if record.answered_at is None or index < RECENT_PRESENCE
        ],
        **context,
    )
    return HTMLResponse(html, status_code=status)


@router.get("/", response_class=HTMLResponse)
async def line_page(console: ConsoleDep, session: SessionDep) -> HTMLResponse:
    """The line view: every peer's line and routes, the alarms."""
    status = status_view(console.terminal, language=session.language)
    return render_page(console, session, "line.html", page="line", status_data=status)


@router.get("/traffic", response_class=HTMLResponse)
async def traffic_page(console: ConsoleDep, session: SessionDep) -> HTMLResponse:
    """Incoming and outgoing messages, and the compose form for those who may send."""
    terminal = console.terminal
    return render_page(
        console,
        session,
        "traffic.html",
        page="traffic",
        messages=[
            visible_row(terminal, session.operator, row)
            for row in traffic(
                terminal,
                limit=TRAFFIC_ROWS,
                language=session.language,
                reader=session.operator.name,
            )
        ],
        calls=_calls(terminal, session.language),
        status_data=status_view(terminal, language=session.language),
        peers=sorted(terminal.lines),
        precedences=_precedences(),
        default_channel=DEFAULT_CHANNEL,
        empty_markings=EMPTY_MARKING_FORM,
        classifications=terminal.settings.markings.classifications,
    )


@router.get("/messages/{message_id}", response_class=HTMLResponse)
async def message_page(message_id: str, console: ConsoleDep, session: SessionDep) -> HTMLResponse:
    """One message in full, its proofs checked again, and Acknowledge where it applies."""
    record = console.terminal.store.get_message(message_id)
    if record is None:
        raise UnknownMessage(f"no message with id {message_id}")
    detail = message_detail(
        console.terminal,
        record,
        fingerprint=console.fingerprint,
        language=session.language,
        reader=session.operator.name,
    )
    # A non-member sees that the message exists, never its text (console/visibility.py).
    detail = redacted(
        with_actions(detail, session.operator),
        message_view(console.terminal, session.operator, record),
    )
    return render_page(
        console,
        session,
        "message.html",
        page="message",
        message=detail,
        # The reply form is generated from the meeting-reply format's schema.
        formats=format_catalogue(session.language) if detail["can_reply"] else None,
        precedences=_precedences(),
    )


@router.get("/notify", response_class=HTMLResponse)
async def notify_page(
    console: ConsoleDep,
    session: SessionDep,
    code: Annotated[str | None, Query(alias="format", max_length=64)] = None,
) -> HTMLResponse:
    """A formatted notification: the form is generated from the chosen format's schema."""
    terminal = console.terminal
    return render_page(
        console,
        session,
        "notify.html",
        page="notify",
        formats=format_catalogue(session.language),
        selected=code if code in NOTIFY_FORMATS else NOTIFY_FORMATS[0],
        peers=sorted(terminal.lines),
        precedences=_precedences(),
        default_channel=DEFAULT_CHANNEL,
        status_data=status_view(terminal, language=session.language),
    )


@router.get("/reports", response_class=HTMLResponse)
async def reports_page(console: ConsoleDep, session: SessionDep, query: QueryDep) -> HTMLResponse:
    """Counts of formatted notifications by period, peer, direction and format; CSV downloads."""
    report = report_view(console.terminal, query, language=session.language)
    return render_page(
        console,
        session,
        "reports.html",
        page="reports",
        report=report,
        chart=report_chart(report["rows"]),
        query=query.params(),
        periods=PERIOD_LABELS,
    )


@router.get("/calls", response_class=HTMLResponse)
async def calls_page(console: ConsoleDep, session: SessionDep) -> HTMLResponse:
    """Video and audio calls to each peer, presence requests, and the record of every call."""
    terminal = console.terminal
    return render_page(
        console,
        session,
        "calls.html",
        page="calls",
        calls=_calls(terminal, session.language),
        presence=[
            presence_view(presence_json(record), language=session.language)
            for record in terminal.desk(PresenceDesk).recent()
        ],
        status_data=status_view(terminal, language=session.language),
        peers=sorted(terminal.lines),
        default_channel=DEFAULT_CHANNEL,
    )


@router.get("/shift", response_class=HTMLResponse)
async def shift_page(console: ConsoleDep, session: SessionDep) -> HTMLResponse:
    """The shift log: handover notes, newest first, and the form to write one."""
    notes = [
        note_view(note, language=session.language)
        for note in console.terminal.desk(ShiftLog).recent(limit=100)
    ]
    return render_page(console, session, "shift.html", page="shift", notes=notes)
