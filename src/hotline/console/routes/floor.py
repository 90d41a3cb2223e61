"""The watch floor page (``GET /floor``) and its board alone (``GET /floor/board``).

The page is for a wall screen (console/floor.py): the board in large type,
re-read by ``live.js`` as server-drawn HTML whenever the lines, the alarms or
the messages change (the ``lines``, ``alarms`` and ``messages`` topics), so
that it stays live without a reload and never takes the focus.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from hotline.console.deps import ConsoleDep, SessionDep, current_session
from hotline.console.floor import floor_view
from hotline.console.routes.pages import render_page
from hotline.console.security import ConsoleSession
from hotline.console.state import ConsoleState

__all__ = ["router"]

router = APIRouter(tags=["pages"], dependencies=[Depends(current_session)], include_in_schema=False)


def _board(console: ConsoleState, session: ConsoleSession) -> dict[str, Any]:
    language = session.language
    return floor_view(
        console.terminal,
        language=language,
        gettext=lambda msgid: console.catalogues.gettext(language, msgid),
    )


@router.get("/floor", response_class=HTMLResponse)
async def floor_page(console: ConsoleDep, session: SessionDep) -> HTMLResponse:
    """The watch floor: each peer's line, open alarms, acknowledgements waiting, countdowns."""
    return render_page(console, session, "floor.html", page="floor", floor=_board(console, session))


@router.get("/floor/board", response_class=HTMLResponse)
async def floor_board(console: ConsoleDep, session: SessionDep) -> HTMLResponse:
    """The board alone, for the page to replace its own with."""
    html = console.pages.render(
        "_floor_board.html", language=session.language, floor=_board(console, session)
    )
    return HTMLResponse(html)
