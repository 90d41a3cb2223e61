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
* ``POST /statements`` (``conference``, ``title``, ``language_N`` and
  ``text_N`` for each column of the form, ``authoritative``, ``policy``,
  ``releases``): drafts a statement in a conference and circulates it; ``POST
  /statements/{ref}/revisions`` (the same columns, pre-filled with the current
  draft): a revision replacing (or adding) the languages given. For users
  whose role sends or signs statements, with the session's CSRF token; a
  redirect (303) to the statement's page, or the page again with the reason,
  the error's status, and what was typed kept in the form.
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
from starlette.datastructures import FormData

from hotline.console.deps import ConsoleDep, SessionDep, current_session, require
from hotline.console.routes.auth import check_password
from hotline.console.routes.pages import render_page
from hotline.console.security import ConsoleSession
from hotline.console.state import ConsoleState
from hotline.console.statements import statement_list_view, statement_page_view
from hotline.errors import AuthenticationFailed, HotlineError, InvalidArgument, PermissionDenied
from hotline.terminal import Operator, Permission
from hotline.terminal.api.errors import error_status
from hotline.terminal.api.statements import statement_export
from hotline.terminal.desks.conferences import ConferenceDesk
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
#: The draft form's language columns, side by side; the revise form offers the
#: current draft's languages and one more.
DRAFT_COLUMNS = 3
#: A form never names more columns than this (a draft holds few languages).
_MAX_COLUMNS = 12

page_router = APIRouter(tags=["pages"], include_in_schema=False)


async def _drafter(session: SessionDep) -> Operator:
    """Drafting and revising are for those who send for the party or sign its statements."""
    operator = session.operator
    if not _may_draft(operator):
        raise PermissionDenied(f"{operator.name} ({operator.role}) may not draft statements")
    return operator


def _may_draft(operator: Operator) -> bool:
    return operator.may(Permission.SEND) or operator.may(Permission.SIGN_STATEMENTS)


Drafter = Annotated[Operator, Depends(_drafter)]


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _columns(form: FormData) -> list[dict[str, str]]:
    """The language columns as typed, in order (kept to show the form again)."""
    columns = []
    for index in range(1, _MAX_COLUMNS + 1):
        if f"language_{index}" not in form and f"text_{index}" not in form:
            break
        columns.append(
            {
                "language": _field(form, f"language_{index}").strip(),
                "text": _field(form, f"text_{index}"),
            }
        )
    return columns


def _texts(columns: list[dict[str, str]]) -> dict[str, str]:
    """The texts the columns give by language; a column left blank gives none."""
    texts: dict[str, str] = {}
    for number, column in enumerate(columns, start=1):
        language, text = column["language"], column["text"].strip()
        if not text:
            continue
        if not language:
            raise InvalidArgument(f"give the language of the text in column {number}")
        if language in texts:
            raise InvalidArgument(f"{language} is given twice")
        texts[language] = text
    if not texts:
        raise InvalidArgument("write the text in at least one language")
    return texts


def _draft_form(language: str) -> dict[str, Any]:
    """The empty draft form: English first, the reader's language next when it differs."""
    first = ["en"] if language == "en" else ["en", language]
    languages = (first + [""] * DRAFT_COLUMNS)[:DRAFT_COLUMNS]
    return {
        "conference": "",
        "title": "",
        "columns": [{"language": lang, "text": ""} for lang in languages],
        "authoritative": "",
        "policy": "",
        "releases": "",
    }


def _revise_form(view: dict[str, Any]) -> dict[str, Any]:
    """The revise form: the current draft's texts in its order, and a column for one more."""
    columns = [{"language": lang, "text": view["texts"][lang]} for lang in view["languages"]]
    return {"columns": [*columns, {"language": "", "text": ""}]}


def _list_page(
    console: ConsoleState,
    session: ConsoleSession,
    *,
    error: str | None = None,
    form: dict[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    conferences = [
        {"id": c.id, "name": c.name}
        for c in console.terminal.desk(ConferenceDesk).list()
        if c.active
    ]
    return render_page(
        console,
        session,
        "statements.html",
        page="statements",
        status=status,
        statements=statement_list_view(console.terminal, language=session.language),
        may_draft=_may_draft(session.operator),
        conferences=conferences,
        draft_form=form or _draft_form(session.language),
        draft_error=error,
    )


def _status_html(console: ConsoleState, language: str, view: dict[str, Any]) -> str:
    return console.pages.render("_statement_status.html", language=language, statement=view)


def _statement_page(
    console: ConsoleState,
    session: ConsoleSession,
    ref: str,
    *,
    error: str | None = None,
    revise_error: str | None = None,
    revise_form: dict[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    view = statement_page_view(console.terminal, ref, language=session.language)
    ours = next((p for p in view["parties"] if p["us"]), None)
    operator = session.operator
    open_here = ours is not None and view["state"] in _OPEN
    return render_page(
        console,
        session,
        "statement.html",
        page="statements",
        status=status,
        statement=view,
        status_html=_status_html(console, session.language, view),
        can_sign=operator.may(Permission.SIGN_STATEMENTS) and open_here,
        can_revise=_may_draft(operator) and open_here,
        revise_form=revise_form or _revise_form(view),
        revise_error=revise_error,
        signed_by_me=any(
            s["person"] == operator.name and s["draft"] == view["current"]
            for s in view["signatures"]
        ),
        sign_error=error,
    )


@page_router.get("/statements", response_class=HTMLResponse)
async def statements_page(console: ConsoleDep, session: SessionDep, _: Reader) -> HTMLResponse:
    """Every statement: title, state, parties signed, and since when it waits; the draft form."""
    return _list_page(console, session)


@page_router.post("/statements", response_class=Response)
async def draft_statement(
    request: Request, console: ConsoleDep, session: SessionDep, _: Drafter
) -> Response:
    """Draft a statement among a conference's parties: draft 1 circulates to each."""
    form = await request.form()
    fields = {
        name: _field(form, name).strip()
        for name in ("conference", "title", "authoritative", "policy", "releases")
    }
    columns = _columns(form)
    try:
        if not fields["conference"]:
            raise InvalidArgument("choose the conference the statement circulates in")
        policy = fields["policy"]
        if policy and not policy.isdecimal():
            raise InvalidArgument("the policy is how many parties must sign: a whole number")
        drafted = console.terminal.desk(StatementDesk).draft(
            conference=fields["conference"],
            title=fields["title"],
            texts=_texts(columns),
            authoritative=fields["authoritative"] or None,
            policy=int(policy) if policy else None,
            releases=fields["releases"] or None,
        )
    except HotlineError as exc:
        form_again = {**fields, "columns": columns}
        return _list_page(
            console, session, error=str(exc), form=form_again, status=error_status(exc)
        )
    return RedirectResponse(f"/statements/{drafted.id}", status_code=303)


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


@page_router.post("/statements/{ref}/revisions", response_class=Response)
async def revise_statement(
    ref: str, request: Request, console: ConsoleDep, session: SessionDep, _: Drafter
) -> Response:
    """A new draft replacing (or adding) the languages given; every signature starts over."""
    columns = _columns(await request.form())
    try:
        console.terminal.desk(StatementDesk).show(ref)  # an unknown statement is a 404 page
        console.terminal.desk(StatementDesk).revise(ref, texts=_texts(columns))
    except HotlineError as exc:
        return _statement_page(
            console,
            session,
            ref,
            revise_error=str(exc),
            revise_form={"columns": columns},
            status=error_status(exc),
        )
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
