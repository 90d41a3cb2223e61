"""The Statements page: joint statements, their drafts side by side, signing with a password.

* ``GET /statements``: every statement here (title, state, parties signed
  k/n, waiting since when), newest first.
* ``GET /statements/{ref}``: one statement (by its id or any draft's): the
  current draft's texts side by side, one column per language (the
  authoritative one first, marked); each party signed (by whom, when) or
  waiting since when; the in-force, withdrawn or expired banner; every
  revision with its word-by-word difference to the draft before, per
  language; the sign form; the export download and the print view.
* ``GET /statements/{ref}/status``: the banner and the parties alone, as HTML:
  statement.js fetches it whenever the ``statements`` topic fires, so the page
  stays live without a reload (and without moving the focus: the sign form is
  outside what is replaced).
* ``POST /statements/{ref}/signatures`` (``password``): the logged-in person
  signs the current draft for our party. Their password unlocks their own
  signing key (as :func:`~hotline.console.routes.auth.check_password` does at
  login, in a worker thread, counted by the login limiter): a session alone
  never signs. For principals and signatories, with the session's CSRF token;
  a refusal shows the page again with the reason and the error's status.
* ``GET /statements/{ref}/export``: the self-contained file ``hotline
  statement export`` writes (``hotline audit FILE`` verifies it), as a
  download; ``GET /statements/{ref}/print``: its printable page.
"""

from __future__ import annotations

import logging
import math
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hotline.console.deps import ConsoleDep, SessionDep, current_session, require
from hotline.console.routes.auth import check_password
from hotline.console.routes.pages import render_page
from hotline.console.security import ConsoleSession
from hotline.console.state import ConsoleState
from hotline.console.statements import statement_list_view, statement_page_view
from hotline.errors import AuthenticationFailed, HotlineError, InvalidArgument
from hotline.terminal import Operator, Permission
from hotline.terminal.api.errors import error_status
from hotline.terminal.api.statements import statement_export
from hotline.terminal.desks.statements import StatementDesk

__all__ = ["PRINT_STYLESHEET", "STATEMENT_MEDIA_TYPE", "router"]

log = logging.getLogger("hotline.console")

Reader = Annotated[Operator, Depends(require(Permission.READ))]
Signer = Annotated[Operator, Depends(require(Permission.SIGN_STATEMENTS))]
#: The export file is deterministic CBOR (docs/protocol/statements.md).
STATEMENT_MEDIA_TYPE = "application/cbor"
#: The print view's layout: the console's policy forbids the inline styles of
#: statement_html (style-src 'self'), so the same rules come from a file.
PRINT_STYLESHEET = "/static/statement-print.css"
#: States in which the current draft may still be signed.
_OPEN = ("circulating", "signed")
_PASSWORD_LIMIT = 1024

page_router = APIRouter(tags=["pages"], include_in_schema=False)


def _status_html(console: ConsoleState, language: str, view: dict[str, Any]) -> str:
    return console.pages.render("_statement_status.html", language=language, statement=view)


def _statement_page(
    console: ConsoleState,
    session: ConsoleSession,
    ref: str,
    *,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    view = statement_page_view(console.terminal, ref, language=session.language)
    ours = next((p for p in view["parties"] if p["us"]), None)
    operator = session.operator
    return render_page(
        console,
        session,
        "statement.html",
        page="statements",
        status=status,
        statement=view,
        status_html=_status_html(console, session.language, view),
        can_sign=(
            operator.may(Permission.SIGN_STATEMENTS) and ours is not None and view["state"] in _OPEN
        ),
        signed_by_me=any(
            s["person"] == operator.name and s["draft"] == view["current"]
            for s in view["signatures"]
        ),
        sign_error=error,
    )


@page_router.get("/statements", response_class=HTMLResponse)
async def statements_page(console: ConsoleDep, session: SessionDep, _: Reader) -> HTMLResponse:
    """Every statement: title, state, parties signed, and since when it waits."""
    return render_page(
        console,
        session,
        "statements.html",
        page="statements",
        statements=statement_list_view(console.terminal, language=session.language),
    )


@page_router.get("/statements/{ref}", response_class=HTMLResponse)
async def statement_page(
    ref: str, console: ConsoleDep, session: SessionDep, _: Reader
) -> HTMLResponse:
    """One statement: texts side by side, parties, banner, revisions and their differences."""
    return _statement_page(console, session, ref)


@page_router.get("/statements/{ref}/status", response_class=HTMLResponse)
async def statement_status(
    ref: str, console: ConsoleDep, session: SessionDep, _: Reader
) -> HTMLResponse:
    """The banner and the parties alone, for the page to replace its own with."""
    view = statement_page_view(console.terminal, ref, language=session.language)
    return HTMLResponse(_status_html(console, session.language, view))


@page_router.post("/statements/{ref}/signatures", response_class=Response)
async def sign_statement(
    ref: str,
    request: Request,
    console: ConsoleDep,
    session: SessionDep,
    operator: Signer,
    password: Annotated[str, Form()] = "",
) -> Response:
    """The logged-in person signs the current draft, their password unlocking their key."""
    name = operator.name
    address = request.client.host if request.client is not None else "unknown"
    try:
        console.terminal.desk(StatementDesk).show(ref)  # an unknown statement is a 404 page
        wait = console.limiter.retry_after(name=name, address=address)
        if wait > 0:
            raise AuthenticationFailed(
                f"too many wrong passwords; try again in {math.ceil(wait)} s"
            )
        if not password or len(password) > _PASSWORD_LIMIT:
            raise InvalidArgument("type your password to sign")
        # A wrong password counts as a failed login would: a stolen session cannot guess.
        console.limiter.attempt(name=name, address=address)
        person = await check_password(console, name, password)
        console.limiter.succeeded(name=name, address=address)
        console.terminal.desk(StatementDesk).sign(ref, person)
    except HotlineError as exc:
        if isinstance(exc, AuthenticationFailed):
            log.warning("statement signature refused for %r from %s: %s", name, address, exc)
        return _statement_page(console, session, ref, error=str(exc), status=error_status(exc))
    return RedirectResponse(f"/statements/{ref}", status_code=303)


@page_router.get("/statements/{ref}/export", response_class=Response)
async def statement_download(
    ref: str, console: ConsoleDep, session: SessionDep, _: Reader
) -> Response:
    """The self-contained file ``hotline statement export`` writes, as an attachment."""
    data, _page = statement_export(console.terminal, ref)
    statement = console.terminal.desk(StatementDesk).status(ref).id
    return Response(
        content=data,
        media_type=STATEMENT_MEDIA_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="statement-{statement[:12]}.hotline"'
        },
    )


@page_router.get("/statements/{ref}/print", response_class=HTMLResponse)
async def statement_print(
    ref: str, console: ConsoleDep, session: SessionDep, _: Reader
) -> HTMLResponse:
    """The printable page of the export (each language, signatures, how to verify)."""
    _data, page = statement_export(console.terminal, ref)
    link = f'<link rel="stylesheet" href="{PRINT_STYLESHEET}"></head>'
    return HTMLResponse(page.replace("</head>", link, 1))


router = APIRouter(dependencies=[Depends(current_session)])
router.include_router(page_router)
