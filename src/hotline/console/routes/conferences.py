"""The Conferences page: every conference, and one as a grid of messages by parties.

* ``GET /conferences``: the conferences convened here or naming us (name,
  version, convener, our role, who refused).
* ``GET /conferences/{ref}``: one conference (by id, or by name when only one
  has it): its roster with each member's answer and missing links, and its
  recent messages as a grid, one row per message, one column per party, each
  cell the recipient's state (queued, sent, delivered, acknowledged, overdue;
  by whom and when in its title). The party with the most cells not yet
  delivered (or overdue) is named above the grid and its column marked.
* ``GET /conferences/{ref}/grid``: that grid alone, as HTML: conference.js
  fetches it whenever the ``conferences`` or ``messages`` topic fires, so the
  page stays live without a reload.
* ``GET /api/conferences`` and ``GET /api/conferences/{ref}``: the JSON of the
  control API (hotline.terminal.api.conferences), for scripts.

The grid shows no message text: only that traffic exists (sender, time,
precedence, channel, states); the text is on the message's own page, where the
console decides who may read it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from hotline.console.deps import ConsoleDep, SessionDep, TerminalDep, current_session, require
from hotline.console.i18n import format_utc_text
from hotline.console.routes.pages import render_page
from hotline.console.state import ConsoleState
from hotline.terminal import Operator, Permission
from hotline.terminal.api.conferences import conference_json
from hotline.terminal.desks.conferences import ConferenceDesk

__all__ = ["conference_view", "router"]

Reader = Annotated[Operator, Depends(require(Permission.READ))]

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


@page_router.get("/conferences", response_class=HTMLResponse)
async def conferences_page(console: ConsoleDep, session: SessionDep, _: Reader) -> HTMLResponse:
    """Every conference, with its version, convener and refusals."""
    conferences = [c.to_json() for c in console.terminal.desk(ConferenceDesk).list()]
    return render_page(
        console, session, "conferences.html", page="conferences", conferences=conferences
    )


@page_router.get("/conferences/{ref}", response_class=HTMLResponse)
async def conference_page(
    ref: str, console: ConsoleDep, session: SessionDep, _: Reader
) -> HTMLResponse:
    """One conference: roster, answers, and the live grid."""
    view = conference_view(console, ref, language=session.language)
    return render_page(
        console,
        session,
        "conference.html",
        page="conferences",
        conference=view,
        grid_html=_grid_html(console, session.language, view),
    )


@page_router.get("/conferences/{ref}/grid", response_class=HTMLResponse)
async def conference_grid(
    ref: str, console: ConsoleDep, session: SessionDep, _: Reader
) -> HTMLResponse:
    """The grid alone, for the page to replace its own with."""
    view = conference_view(console, ref, language=session.language)
    return HTMLResponse(_grid_html(console, session.language, view))


@api_router.get("")
async def list_conferences(terminal: TerminalDep, _: Reader) -> list[dict[str, Any]]:
    return [c.to_json() for c in terminal.desk(ConferenceDesk).list()]


@api_router.get("/{ref}")
async def get_conference(ref: str, terminal: TerminalDep, _: Reader) -> dict[str, Any]:
    return conference_json(terminal, terminal.desk(ConferenceDesk).show(ref))


router = APIRouter(dependencies=[Depends(current_session)])
router.include_router(page_router)
router.include_router(api_router)
