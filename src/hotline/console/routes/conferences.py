"""The Conferences page: every conference, and one as a grid of messages by parties.

* ``GET /conferences``: the conferences convened here or naming us (name,
  version, convener, our role, who refused).
* ``GET /conferences/{ref}``: one conference (by id, or by name when only one
  has it): its roster with each member's answer and missing links, and its
  recent messages as a grid, one row per message, one column per party, each
  cell the recipient's state (queued, sent, delivered, acknowledged, overdue;
  by whom and when in its title). The party with the most cells not yet
  delivered (or overdue) is named above the grid and its column marked.
* ``GET /conferences/{ref}/grid``: that grid alone, as HTML: live.js
  fetches it whenever the ``conferences`` or ``messages`` topic fires, so the
  page stays live without a reload; ``GET /conferences/{ref}/roster`` likewise
  the roster (version, answers, missing links) and the convener's forms, on
  ``conferences``.
* ``POST /conferences`` (``name``, ``party`` repeated), ``POST
  /conferences/{ref}/parties`` (``party``), ``POST
  /conferences/{ref}/parties/{party}/remove`` and ``POST
  /conferences/{ref}/messages`` (``text``, ``precedence``, ``channel`` and the
  markings: ``eyes_only`` one a line, ``embargoed_until``, ``not_for_release``,
  ``classification``): plain forms carrying the session's CSRF token, for users
  whose role sends, through the ConferenceDesk. Each answers with a redirect
  (303) to the conference's page, or the page again with the reason, the
  error's status, and what was typed kept in the form.
* ``GET /api/conferences`` and ``GET /api/conferences/{ref}``: the JSON of the
  control API (hotline.terminal.api.conferences), for scripts.

The grid shows no message text: only that traffic exists (sender, time,
precedence, channel, states); the text is on the message's own page, where the
console decides who may read it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hotline.console.deps import ConsoleDep, SessionDep, TerminalDep, current_session, require
from hotline.console.i18n import format_utc_text
from hotline.console.marking_view import EMPTY_MARKING_FORM
from hotline.console.routes.pages import render_page
from hotline.console.security import ConsoleSession
from hotline.console.state import ConsoleState
from hotline.console.visibility import require_member
from hotline.crypto import Precedence
from hotline.errors import HotlineError, InvalidArgument
from hotline.terminal import Operator, Permission
from hotline.terminal.api.conferences import conference_json
from hotline.terminal.api.errors import error_status
from hotline.terminal.core.markings import parse_markings
from hotline.terminal.core.outbox import DEFAULT_CHANNEL
from hotline.terminal.desks.conferences import ConferenceDesk

__all__ = ["conference_view", "router"]

Reader = Annotated[Operator, Depends(require(Permission.READ))]
Sender = Annotated[Operator, Depends(require(Permission.SEND))]
FieldText = Annotated[str, Form(max_length=64)]
#: Every precedence, FLASH first, as the traffic page's compose form offers them.
PRECEDENCES = [p.value for p in sorted(Precedence, key=lambda p: p.rank)]

page_router = APIRouter(tags=["pages"], include_in_schema=False)
api_router = APIRouter(prefix="/api/conferences", tags=["conferences"])


def conference_view(console: ConsoleState, ref: str, *, language: str) -> dict[str, Any]:
    """:func:`conference_json` with the times formatted for the reader."""
    terminal = console.terminal
    view = conference_json(terminal, terminal.desk(ConferenceDesk).show(ref))
    for row in view["grid"]["messages"]:
        row["display_time"] = format_utc_text(row["sent_at"], language=language)
        for cell in row["cells"].values():
            for key in ("delivered_at", "acknowledged_at"):
                cell[f"display_{key}"] = (
                    format_utc_text(cell[key], language=language) if cell[key] else ""
                )
    return view


def _grid_html(console: ConsoleState, language: str, view: dict[str, Any]) -> str:
    return console.pages.render("_conference_grid.html", language=language, conference=view)


def _roster_context(console: ConsoleState, view: dict[str, Any]) -> dict[str, Any]:
    """What templates/_conference_roster.html draws besides the page's own context."""
    members = {m["party"] for m in view["members"]}
    return {
        "conference": view,
        "convened": view["convener"] == console.terminal.party,
        "candidates": [p for p in _peers(console) if p not in members],
    }


def _peers(console: ConsoleState) -> list[str]:
    return sorted(peer.party for peer in console.terminal.store.list_peers())


def _list_page(
    console: ConsoleState,
    session: ConsoleSession,
    *,
    error: str | None = None,
    form: dict[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    conferences = [c.to_json() for c in console.terminal.desk(ConferenceDesk).list()]
    return render_page(
        console,
        session,
        "conferences.html",
        page="conferences",
        status=status,
        conferences=conferences,
        peers=_peers(console),
        conference_form=form or {"name": "", "parties": []},
        conference_error=error,
    )


def _conference_page(
    console: ConsoleState,
    session: ConsoleSession,
    ref: str,
    *,
    error: str | None = None,
    form: dict[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    view = conference_view(console, ref, language=session.language)
    return render_page(
        console,
        session,
        "conference.html",
        page="conferences",
        status=status,
        grid_html=_grid_html(console, session.language, view),
        **_roster_context(console, view),
        precedences=PRECEDENCES,
        message_form=form or _EMPTY_MESSAGE,
        classifications=console.terminal.settings.markings.classifications,
        conference_error=error,
    )


_EMPTY_MESSAGE: dict[str, Any] = {
    "text": "",
    "precedence": "routine",
    "channel": DEFAULT_CHANNEL,
    **EMPTY_MARKING_FORM,
}


def _to_conference(ref: str) -> RedirectResponse:
    return RedirectResponse(f"/conferences/{ref}", status_code=303)


@page_router.get("/conferences", response_class=HTMLResponse)
async def conferences_page(console: ConsoleDep, session: SessionDep, _: Reader) -> HTMLResponse:
    """Every conference, with its version, convener and refusals, and the form to convene one."""
    return _list_page(console, session)


@page_router.post("/conferences", response_class=Response)
async def create_conference(
    console: ConsoleDep,
    session: SessionDep,
    _: Sender,
    name: FieldText = "",
    party: Annotated[list[str] | None, Form(max_length=64)] = None,
) -> Response:
    """Convene a conference of us and the parties chosen; its first roster goes to each."""
    parties = party or []
    try:
        if not name.strip():
            raise InvalidArgument("name the conference")
        created = console.terminal.desk(ConferenceDesk).convene(name.strip(), parties)
    except HotlineError as exc:
        form = {"name": name, "parties": parties}
        return _list_page(console, session, error=str(exc), form=form, status=error_status(exc))
    return _to_conference(created.id)


@page_router.get("/conferences/{ref}", response_class=HTMLResponse)
async def conference_page(
    ref: str, console: ConsoleDep, session: SessionDep, _: Reader
) -> HTMLResponse:
    """One conference: roster, answers, the live grid, and the forms."""
    return _conference_page(console, session, ref)


@page_router.post("/conferences/{ref}/parties", response_class=Response)
async def add_party(
    ref: str, console: ConsoleDep, session: SessionDep, _: Sender, party: FieldText = ""
) -> Response:
    """Add a party to a conference we convened: a new roster version to every member."""
    try:
        console.terminal.desk(ConferenceDesk).add_party(ref, party)
    except HotlineError as exc:
        return _conference_page(console, session, ref, error=str(exc), status=error_status(exc))
    return _to_conference(ref)


@page_router.post("/conferences/{ref}/parties/{party}/remove", response_class=Response)
async def remove_party(
    ref: str, party: str, console: ConsoleDep, session: SessionDep, _: Sender
) -> Response:
    """Remove a party: a new roster version to every member, the removed one too."""
    try:
        console.terminal.desk(ConferenceDesk).remove_party(ref, party)
    except HotlineError as exc:
        return _conference_page(console, session, ref, error=str(exc), status=error_status(exc))
    return _to_conference(ref)


@page_router.post("/conferences/{ref}/messages", response_class=Response)
async def send_to_conference(
    ref: str,
    console: ConsoleDep,
    session: SessionDep,
    operator: Sender,
    text: Annotated[str, Form(max_length=20_000)] = "",
    precedence: FieldText = "routine",
    channel: FieldText = DEFAULT_CHANNEL,
    eyes_only: Annotated[str, Form(max_length=4_000)] = "",
    embargoed_until: FieldText = "",
    not_for_release: Annotated[bool, Form()] = False,
    classification: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Send one message to every other member, each copy over its own line, with its markings."""
    form = {
        "text": text,
        "precedence": precedence,
        "channel": channel,
        "eyes_only": eyes_only,
        "embargoed_until": embargoed_until,
        "not_for_release": not_for_release,
        "classification": classification,
    }
    try:
        if not text.strip():
            raise InvalidArgument("write the message")
        try:
            chosen = Precedence(precedence)
        except ValueError:
            raise InvalidArgument(f"unknown precedence {precedence!r}") from None
        require_member(console.terminal, operator, channel, "send")
        markings = parse_markings(
            eyes_only=[line.strip() for line in eyes_only.splitlines() if line.strip()],
            embargoed_until=embargoed_until.strip() or None,
            not_for_release=not_for_release,
            classification=classification.strip() or None,
        )
        console.terminal.desk(ConferenceDesk).send(
            ref, text=text, precedence=chosen, channel=channel, markings=markings
        )
    except HotlineError as exc:
        return _conference_page(
            console, session, ref, error=str(exc), form=form, status=error_status(exc)
        )
    return _to_conference(ref)


@page_router.get("/conferences/{ref}/grid", response_class=HTMLResponse)
async def conference_grid(
    ref: str, console: ConsoleDep, session: SessionDep, _: Reader
) -> HTMLResponse:
    """The grid alone, for the page to replace its own with."""
    view = conference_view(console, ref, language=session.language)
    return HTMLResponse(_grid_html(console, session.language, view))


@page_router.get("/conferences/{ref}/roster", response_class=HTMLResponse)
async def conference_roster(
    ref: str, console: ConsoleDep, session: SessionDep, operator: Reader
) -> HTMLResponse:
    """The roster and the convener's forms alone, for the page to replace its own with."""
    view = conference_view(console, ref, language=session.language)
    html = console.pages.render(
        "_conference_roster.html",
        language=session.language,
        csrf_token=session.csrf_token,
        can={"send": operator.may(Permission.SEND)},
        **_roster_context(console, view),
    )
    return HTMLResponse(html)


@api_router.get("")
async def list_conferences(terminal: TerminalDep, _: Reader) -> list[dict[str, Any]]:
    return [c.to_json() for c in terminal.desk(ConferenceDesk).list()]


@api_router.get("/{ref}")
async def get_conference(ref: str, terminal: TerminalDep, _: Reader) -> dict[str, Any]:
    return conference_json(terminal, terminal.desk(ConferenceDesk).show(ref))


router = APIRouter(dependencies=[Depends(current_session)])
router.include_router(page_router)
router.include_router(api_router)
