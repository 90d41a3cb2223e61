"""FastAPI dependencies of the console: the terminal, the session, the operator, permissions.

Routes take these as typed parameters (``Annotated`` aliases, as in the
full-stack FastAPI template): ``TerminalDep``, ``SessionDep``,
``CurrentOperator``, and ``require(Permission.X)`` for what a role may do.

Every dependency is ``async def``: FastAPI runs a plain ``def`` in a worker
thread, and the terminal's store may only be touched from the event loop's
thread (docs/ARCHITECTURE.md, section 4).

The session itself is found by :class:`~hotline.console.middleware.SessionGate`
before routing; :func:`current_session` takes it from there and checks the
CSRF token on every state-changing request.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request

from hotline.console.security import (
    CSRF_FIELD,
    CSRF_HEADER,
    UNSAFE_METHODS,
    ConsoleSession,
    tokens_match,
)
from hotline.console.state import ConsoleState
from hotline.errors import AuthenticationFailed, PermissionDenied
from hotline.terminal import Operator, Permission, Terminal

__all__ = [
    "ConsoleDep",
    "CurrentOperator",
    "SESSION_STATE_KEY",
    "SessionDep",
    "TOKEN_STATE_KEY",
    "TerminalDep",
    "TokenDep",
    "check_csrf",
    "current_operator",
    "current_session",
    "get_console",
    "get_terminal",
    "require",
    "session_token",
]

#: Where the gate leaves the request's session (and its token) in the ASGI scope's state.
SESSION_STATE_KEY = "console_session"
TOKEN_STATE_KEY = "console_token"  # noqa: S105 - a dictionary key, not a secret


async def get_console(request: Request) -> ConsoleState:
    console: ConsoleState = request.app.state.console
    return console


ConsoleDep = Annotated[ConsoleState, Depends(get_console)]


async def get_terminal(console: ConsoleDep) -> Terminal:
    return console.terminal


TerminalDep = Annotated[Terminal, Depends(get_terminal)]


async def check_csrf(request: Request, expected: str) -> None:
    """PermissionDenied unless the request carries ``expected`` in the header or form."""
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()  # cached by Starlette: the route reads it again freely
        field = form.get(CSRF_FIELD)
        given = field if isinstance(field, str) else None
    if not tokens_match(given, expected):
        raise PermissionDenied("the request's CSRF token is missing or wrong; reload the page")


async def current_session(request: Request) -> ConsoleSession:
    """The request's live session; its CSRF token checked if the request changes anything."""
    session = getattr(request.state, SESSION_STATE_KEY, None)
    if not isinstance(session, ConsoleSession):
        # The gate answers first; this is the second line, should a route escape it.
        raise AuthenticationFailed("log in first")
    if request.method in UNSAFE_METHODS:
        await check_csrf(request, session.csrf_token)
    return session


SessionDep = Annotated[ConsoleSession, Depends(current_session)]


async def session_token(request: Request, session: SessionDep) -> str:
    """The session cookie's token of the current session (to end or change the session)."""
    token = getattr(request.state, TOKEN_STATE_KEY, None)
    if not isinstance(token, str):
        raise AuthenticationFailed("log in first")
    return token


TokenDep = Annotated[str, Depends(session_token)]


async def current_operator(session: SessionDep) -> Operator:
    return session.operator


CurrentOperator = Annotated[Operator, Depends(current_operator)]


def require(permission: Permission) -> Callable[..., Coroutine[Any, Any, Operator]]:
    """A dependency giving the operator if their role has ``permission``, else 403."""

    async def operator_with(session: SessionDep) -> Operator:
        operator = session.operator
        if not operator.may(permission):
            raise PermissionDenied(
                f"{operator.name} ({operator.role}) may not do this ({permission})"
            )
        return operator

    operator_with.__name__ = f"require_{permission.value.replace('-', '_')}"
    return operator_with
