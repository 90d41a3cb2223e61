"""Logging in and out: ``GET /login``, ``POST /login``, ``POST /logout``.

The login form is protected against cross-site submission by a double-submit
cookie (``hotline_login_csrf``, also in a hidden field), and against guessing
by :class:`~hotline.console.security.LoginLimiter` (429 with ``Retry-After``).
A success opens a fresh session (a new token, whatever cookie came in) and
journals who logged in from where.

The password is checked in a worker thread: Argon2id takes about 0.15 s per
check, twice on a success (the hash, then unwrapping the user's key), and the
event loop that keeps the lines alive must not stall for that. The store is
read on the loop first; the thread gets only the user's record.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
from typing import Annotated, cast

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hotline.console.deps import SESSION_STATE_KEY, ConsoleDep, SessionDep, TokenDep
from hotline.console.i18n import LANGUAGE_NAMES, N_, negotiate_language
from hotline.console.security import LOGIN_CSRF_COOKIE, SESSION_COOKIE, new_token, tokens_match
from hotline.console.state import ConsoleState
from hotline.errors import AuthenticationFailed
from hotline.store import Store, UserRecord
from hotline.terminal import Operator
from hotline.terminal.desks.accounts import authenticate

__all__ = ["check_password", "router"]

log = logging.getLogger("hotline.console")

router = APIRouter(tags=["auth"])

#: Where a login may send the browser next: a local path, never "//host".
_NEXT = re.compile(r"^/(?!/)[A-Za-z0-9/_-]*$")
#: Longest user name the form takes (names are at most 64 characters).
_NAME_LIMIT = 200
_PASSWORD_LIMIT = 1024

_WRONG = N_("Wrong name or password.")
_EXPIRED = N_("The login form had expired. Please try again.")
_LIMITED = N_("Too many failed logins. Try again in %(seconds)s s.")


def _address(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def _safe_next(target: str | None) -> str:
    return target if target and _NEXT.match(target) and target != "/login" else "/"


def _login_page(
    console: ConsoleState,
    request: Request,
    *,
    status: int = 200,
    error: str | None = None,
    error_args: dict[str, object] | None = None,
    name: str = "",
    next_page: str = "/",
    language: str | None = None,
) -> HTMLResponse:
    """The login form, with a fresh double-submit token in the form and a cookie."""
    if language is None or language not in LANGUAGE_NAMES:
        language = negotiate_language(request.headers.get("accept-language"))
    token = new_token()
    message = None
    if error is not None:
        message = console.catalogues.gettext(language, error) % (error_args or {})
    html = console.pages.render(
        "login.html",
        language=language,
        party=console.terminal.party,
        exercise=console.terminal.settings.exercise,
        csrf_token=token,
        error=message,
        name=name,
        next_page=next_page,
        languages=LANGUAGE_NAMES,
    )
    response = HTMLResponse(html, status_code=status)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, path="/login", httponly=True, samesite="strict")
    return response


@router.get("/login", response_class=HTMLResponse)
async def login_form(
    request: Request,
    console: ConsoleDep,
    next: str = "/",
    lang: str | None = None,
) -> Response:
    if getattr(request.state, SESSION_STATE_KEY, None) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _login_page(console, request, next_page=_safe_next(next), language=lang)


class _OneUser:
    """What :func:`authenticate` reads from a store, for one user read beforehand.

    The password check runs in a thread, and the SQLite store belongs to the
    loop's thread: the thread gets this instead, holding the record already read.
    """

    def __init__(self, user: UserRecord | None) -> None:
        self._user = user

    def get_user(self, name: str) -> UserRecord | None:
        return self._user if self._user is not None and self._user.name == name else None


async def check_password(console: ConsoleState, name: str, password: str) -> Operator:
    """:func:`authenticate` in a worker thread, the store read on the loop (see above)."""
    user = console.terminal.store.get_user(name)  # on the loop, which owns the store
    async with console.login_checks:
        return await asyncio.to_thread(
            authenticate,
            cast(Store, _OneUser(user)),  # authenticate reads only get_user
            name,
            password,
        )


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    console: ConsoleDep,
    name: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
    lang: Annotated[str, Form()] = "",
) -> Response:
    next_page = _safe_next(next)
    if not tokens_match(csrf_token, request.cookies.get(LOGIN_CSRF_COOKIE, "")):
        return _login_page(
            console, request, status=403, error=_EXPIRED, next_page=next_page, language=lang
        )
    name = name.strip()[:_NAME_LIMIT]
    address = _address(request)
    wait = console.limiter.retry_after(name=name, address=address)
    if wait > 0:
        seconds = math.ceil(wait)
        response = _login_page(
            console,
            request,
            status=429,
            error=_LIMITED,
            error_args={"seconds": seconds},
            name=name,
            next_page=next_page,
            language=lang,
        )
        response.headers["Retry-After"] = str(seconds)
        return response
    # Counted as a failure until it succeeds, so parallel guesses all count.
    console.limiter.attempt(name=name, address=address)
    try:
        if not name or not password or len(password) > _PASSWORD_LIMIT:
            raise AuthenticationFailed("wrong name or password")
        operator = await check_password(console, name, password)
    except AuthenticationFailed as exc:
        log.warning("console login failed for %r from %s: %s", name, address, exc)
        # The journal takes valid text only: a name is whatever was typed.
        safe_name = name.encode("utf-8", "replace").decode("utf-8")[:64]
        console.failures.failed(name=safe_name, address=address)
        return _login_page(
            console,
            request,
            status=401,
            error=_WRONG,
            name=name,
            next_page=next_page,
            language=lang,
        )
    console.limiter.succeeded(name=name, address=address)
    console.sessions.delete(request.cookies.get(SESSION_COOKIE))
    token, _ = console.sessions.create(operator)
    console.journal(
        "console login", {"name": operator.name, "role": str(operator.role), "address": address}
    )
    log.info("console login: %s (%s) from %s", operator.name, operator.role, address)
    redirect = RedirectResponse(next_page, status_code=303)
    redirect.set_cookie(SESSION_COOKIE, token, path="/", httponly=True, samesite="strict")
    redirect.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return redirect


@router.post("/logout")
async def logout(console: ConsoleDep, session: SessionDep, token: TokenDep) -> Response:
    console.sessions.delete(token)
    console.journal("console logout", {"name": session.operator.name})
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response
