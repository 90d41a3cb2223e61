"""The Channels page (admins) and the channels' JSON: who on this terminal reads which channel.

* ``GET /channels``: every channel configured here (members, role, history)
  and every channel a peer announced (who on the other side may acknowledge),
  with the forms to create a channel and to add or remove a member. Admins only.
* ``GET /channels/list``: that list alone, as HTML (admins only): live.js
  fetches it whenever the ``channels`` topic fires (a member added or removed
  here, by the console or the CLI, or a peer's announcement), so the page
  stays live without a reload.
* ``POST /channels`` (``name``, ``members``: one ``USER`` or ``USER:ROLE`` a
  line), ``POST /channels/{name}/members`` (``user``, ``role``),
  ``POST /channels/{name}/members/{user}/remove``: plain forms carrying the
  session's CSRF token, answered with a redirect to the page (303), or the
  page again with the reason and the error's status.
* ``GET /api/channels``: the channels as ``hotline channel list --json`` gives
  them (every reader: the console names who may read and acknowledge).

Managing membership is an admin's (``manage-users``); it does not let the admin
read a restricted channel (console/visibility.py).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hotline.console.deps import ConsoleDep, SessionDep, TerminalDep, current_session, require
from hotline.console.routes.pages import render_page
from hotline.console.security import ConsoleSession
from hotline.console.state import ConsoleState
from hotline.errors import HotlineError, InvalidArgument
from hotline.terminal import Operator, Permission
from hotline.terminal.api.errors import error_status
from hotline.terminal.desks.channels import CHANNEL_ROLES, ChannelDesk, channel_json, parse_member

__all__ = ["router"]

Reader = Annotated[Operator, Depends(require(Permission.READ))]
Admin = Annotated[Operator, Depends(require(Permission.MANAGE_USERS))]
FieldText = Annotated[str, Form(max_length=64)]

page_router = APIRouter(tags=["pages"], include_in_schema=False)
api_router = APIRouter(prefix="/api/channels", tags=["channels"])


def _channels(console: ConsoleState) -> list[dict[str, Any]]:
    return [channel_json(view) for view in console.terminal.desk(ChannelDesk).list_channels()]


def _list_context(console: ConsoleState) -> dict[str, Any]:
    return {
        "channels": _channels(console),
        "users": sorted(user.name for user in console.terminal.store.list_users()),
        "roles": CHANNEL_ROLES,
    }


def _page(
    console: ConsoleState,
    session: ConsoleSession,
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    return render_page(
        console,
        session,
        "channels.html",
        page="channels",
        status=status,
        **_list_context(console),
        channel_form=form or {"name": "", "members": ""},
        channel_error=error,
    )


def _done() -> RedirectResponse:
    return RedirectResponse("/channels", status_code=303)


@page_router.get("/channels", response_class=HTMLResponse)
async def channels_page(console: ConsoleDep, session: SessionDep, _: Admin) -> HTMLResponse:
    """Every channel, its members and history, the peers' announced members, and the forms."""
    return _page(console, session)


@page_router.get("/channels/list", response_class=HTMLResponse)
async def channel_list(console: ConsoleDep, session: SessionDep, _: Admin) -> HTMLResponse:
    """The channels and their forms alone, for the page to replace its own with."""
    html = console.pages.render(
        "_channel_list.html",
        language=session.language,
        csrf_token=session.csrf_token,
        **_list_context(console),
    )
    return HTMLResponse(html)


@page_router.post("/channels", response_class=Response)
async def create_channel(
    console: ConsoleDep,
    session: SessionDep,
    operator: Admin,
    name: FieldText = "",
    members: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    """Configure a channel with its first members; it is announced to every peer."""
    try:
        listed = [parse_member(line.strip()) for line in members.split() if line.strip()]
        if not name.strip():
            raise InvalidArgument("name the channel")
        console.terminal.desk(ChannelDesk).create_channel(name.strip(), listed, operator.name)
    except HotlineError as exc:
        form = {"name": name, "members": members}
        return _page(console, session, error=str(exc), form=form, status=error_status(exc))
    return _done()


@page_router.post("/channels/{name}/members", response_class=Response)
async def add_member(
    name: str,
    console: ConsoleDep,
    session: SessionDep,
    operator: Admin,
    user: FieldText = "",
    role: FieldText = "member",
) -> Response:
    """Add a member (or change a member's role); the new list is announced."""
    try:
        console.terminal.desk(ChannelDesk).add_member(name, user, operator.name, role=role)
    except HotlineError as exc:
        return _page(console, session, error=str(exc), status=error_status(exc))
    return _done()


@page_router.post("/channels/{name}/members/{user}/remove", response_class=Response)
async def remove_member(
    name: str, user: str, console: ConsoleDep, session: SessionDep, operator: Admin
) -> Response:
    """Remove a member (their history stays); the new list is announced."""
    try:
        console.terminal.desk(ChannelDesk).remove_member(name, user, operator.name)
    except HotlineError as exc:
        return _page(console, session, error=str(exc), status=error_status(exc))
    return _done()


@api_router.get("")
async def list_channels(terminal: TerminalDep, _: Reader) -> list[dict[str, Any]]:
    """Every channel configured here or announced by a peer, with their members."""
    return [channel_json(view) for view in terminal.desk(ChannelDesk).list_channels()]


router = APIRouter(dependencies=[Depends(current_session)])
router.include_router(page_router)
router.include_router(api_router)
