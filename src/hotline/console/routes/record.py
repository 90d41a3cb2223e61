"""The Record page, its export form, and the record's JSON (docs/protocol/record.md).

* ``GET /record``: the log (origin, entries, tree size), the newest checkpoint
  with its signed note, each peer's newest cosignature of our log with its age
  and how far behind it is (and the peers that never cosigned), the peers'
  logs we witness, and the conflicts; live like the other pages (the terminal
  publishes the ``record`` topic when witnessing happens).
* ``POST /record/export``: the export form (peer or all, since, until, message
  ids) → the bundle as a download,
  ``Content-Disposition: attachment; filename="<party>-record-<UTC>.json"``.
  A refusal re-renders the page with the reason in the form and the error's
  status (4xx); nothing is sent or written in part.
* ``GET /api/record``: ``RecordStatus.to_json()`` (as ``hotline record --json``
  prints it) with ``display`` values for the reader;
  ``GET /api/record/conflicts``: the conflicts, newest first.

Everyone who may read the traffic may read the record and export it: an
export holds what those people can already read, with the proofs that let a
third party check it. The form is a plain POST with the session's CSRF token
in a hidden field, as the logout form is.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, Response

from hotline.console.deps import ConsoleDep, SessionDep, TerminalDep, current_session, require
from hotline.console.record import (
    EXPORT_MEDIA_TYPE,
    ExportRequest,
    conflicts_view,
    export_filename,
    export_record,
    record_view,
)
from hotline.console.routes.pages import render_page
from hotline.console.security import ConsoleSession
from hotline.console.state import ConsoleState
from hotline.errors import HotlineError
from hotline.terminal import Operator, Permission
from hotline.terminal.api.errors import error_status

__all__ = ["router"]

Reader = Annotated[Operator, Depends(require(Permission.READ))]
#: Form fields are bounded: a browser sends what the page offers, and nothing larger.
FieldText = Annotated[str, Form(max_length=64)]

page_router = APIRouter(tags=["pages"], include_in_schema=False)
api_router = APIRouter(prefix="/api/record", tags=["record"])


def _record_page(
    console: ConsoleState,
    session: ConsoleSession,
    *,
    form: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    terminal = console.terminal
    return render_page(
        console,
        session,
        "record.html",
        page="record",
        status=status,
        record=record_view(terminal, language=session.language),
        conflicts=conflicts_view(terminal, language=session.language),
        peers=sorted(peer.party for peer in terminal.store.list_peers()),
        export_form=form or {"peer": "", "since": "", "until": "", "ids": ""},
        export_error=error,
    )


@page_router.get("/record", response_class=HTMLResponse)
async def record_page(console: ConsoleDep, session: SessionDep, _: Reader) -> HTMLResponse:
    """The record at a glance, its witnesses, its conflicts, and the export form."""
    return _record_page(console, session)


@page_router.post("/record/export", response_class=Response)
async def export_bundle_download(
    console: ConsoleDep,
    session: SessionDep,
    _: Reader,
    peer: FieldText = "",
    since: FieldText = "",
    until: FieldText = "",
    ids: Annotated[str, Form(max_length=1_000_000)] = "",
) -> Response:
    """The bundle file, as an attachment; or the page again with the reason in the form."""
    shown = {"peer": peer, "since": since, "until": until, "ids": ids}
    try:
        request = ExportRequest.parse(peer=peer, since=since, until=until, ids=ids)
        data = export_record(console.terminal, request, session.operator)
    except HotlineError as exc:
        return _record_page(console, session, form=shown, error=str(exc), status=error_status(exc))
    filename = export_filename(console.terminal.party, console.terminal.clock.now())
    return Response(
        content=data,
        media_type=EXPORT_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@api_router.get("")
async def get_record(terminal: TerminalDep, session: SessionDep, _: Reader) -> dict[str, Any]:
    """The log, the newest checkpoint, the witnesses either way, the number of conflicts."""
    return record_view(terminal, language=session.language)


@api_router.get("/conflicts")
async def get_conflicts(
    terminal: TerminalDep, session: SessionDep, _: Reader
) -> list[dict[str, Any]]:
    """Every kept conflict (newest first): whose log, which peer, kind, when, detail."""
    return conflicts_view(terminal, language=session.language)


router = APIRouter(dependencies=[Depends(current_session)])
router.include_router(page_router)
router.include_router(api_router)
