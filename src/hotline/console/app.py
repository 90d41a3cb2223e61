"""The operator console: a FastAPI app factory, and its server beside the terminal.

``create_console_app(terminal)`` builds the whole console for one running
terminal: the routers (``auth``, ``pages``, ``api``, ``notifications``,
``reports``, ``calls``, ``record``), the static files, the
session gate and the security headers, with all its state on ``app.state``
(no module-level globals). ``serve_console`` runs it with uvicorn on the
address in ``[console] listen`` (``hotline init --console HOST:PORT``), on the
daemon's own event loop: ``hotline run`` passes it to
:func:`~hotline.terminal.run_terminal` as its extra server.

Every route is ``async def``, so it runs on the loop thread that owns the
store (docs/ARCHITECTURE.md, section 4). The console serves HTTPS with the
certificate ``init`` made or ``[console] tls_cert``/``tls_key``; plain HTTP only
with ``[console] tls = false`` (behind a TLS proxy on this host; docs/operations.md).
"""

from __future__ import annotations

import asyncio
import logging
import socket

import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from hotline import __version__
from hotline.console.deps import SESSION_STATE_KEY
from hotline.console.i18n import negotiate_language
from hotline.console.middleware import SecurityHeaders, SessionGate
from hotline.console.routes import (
    api,
    auth,
    calls,
    channels,
    conferences,
    floor,
    notifications,
    pages,
    record,
    reports,
    statements,
)
from hotline.console.security import ConsoleSession
from hotline.console.state import ConsoleState, build_state
from hotline.console.templating import STATIC_DIR
from hotline.console.views import problems_json
from hotline.errors import ConfigError, HotlineError, NotificationInvalid
from hotline.terminal import Clock, Terminal
from hotline.terminal.api.errors import (
    VALIDATION_ERROR,
    error_body,
    error_status,
    validation_detail,
)
from hotline.terminal.config.console_tls import ConsoleTLS, console_tls
from hotline.terminal.control import listen_tcp, serve_uvicorn

__all__ = ["create_console_app", "serve_console"]

log = logging.getLogger("hotline.console")


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return path == "/api" or path.startswith("/api/")


def _language(request: Request) -> str:
    """The session's language, or before login the browser's."""
    session = getattr(request.state, SESSION_STATE_KEY, None)
    if isinstance(session, ConsoleSession):
        return session.language
    return negotiate_language(request.headers.get("accept-language"))


def _error_page(request: Request, status: int, error: str, detail: str) -> Response:
    console: ConsoleState = request.app.state.console
    language = _language(request)
    html = console.pages.render(
        "error.html",
        language=language,
        party=console.terminal.party,
        status=status,
        error=error,
        detail=detail,
    )
    return HTMLResponse(html, status_code=status)


def create_console_app(terminal: Terminal, *, clock: Clock | None = None) -> FastAPI:
    """The console for one running terminal; ``clock`` (default: the terminal's) times sessions."""
    state = build_state(terminal, clock=clock)
    app = FastAPI(
        title=f"hotline console {terminal.party}",
        version=__version__,
        # The interactive docs pages load scripts from a CDN, which the CSP forbids;
        # the schema itself is served behind the session at /api/openapi.json.
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.console = state

    async def hotline_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HotlineError)
        # The status and the body are the contract both HTTP APIs share
        # (hotline.terminal.api.errors); a page shows the same error as HTML.
        status = error_status(exc)
        if _wants_json(request):
            problems = None
            if isinstance(exc, NotificationInvalid):
                # Field by field, in the reader's language: the form shows each beside its input.
                problems = problems_json(exc, language=_language(request))
            return JSONResponse(status_code=status, content=error_body(exc, problems=problems))
        return _error_page(request, status, type(exc).__name__, str(exc))

    async def invalid_request(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        detail = validation_detail(exc.errors())
        if _wants_json(request):
            return JSONResponse(
                status_code=422, content={"error": VALIDATION_ERROR, "detail": detail}
            )
        return _error_page(request, 422, VALIDATION_ERROR, detail)

    app.add_exception_handler(HotlineError, hotline_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.include_router(auth.router)
    app.include_router(pages.router)
    app.include_router(api.router)
    app.include_router(notifications.router)
    app.include_router(reports.router)
    app.include_router(calls.router)
    app.include_router(record.router)
    app.include_router(channels.router)
    app.include_router(conferences.router)
    app.include_router(statements.router)
    app.include_router(floor.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # The last added is the outermost: headers go on every answer, the gate's too.
    app.add_middleware(SessionGate, sessions=state.sessions)
    app.add_middleware(SecurityHeaders)
    return app


async def serve_console(terminal: Terminal, started: asyncio.Event) -> None:
    """Serve the console on ``[console] listen`` until cancelled; ConfigError if none is set."""
    address = terminal.settings.console
    if address is None:
        raise ConfigError(
            "no console address: set [console] listen in hotline.toml "
            "(or hotline init --console HOST:PORT)"
        )
    tls = console_tls(terminal.files.paths, terminal.settings)
    listener = listen_tcp(address, what="the console")
    try:
        await _serve(terminal, listener, address, started, tls)
    finally:
        listener.close()


async def _serve(
    terminal: Terminal,
    listener: socket.socket,
    address: str,
    started: asyncio.Event,
    tls: ConsoleTLS | None,
) -> None:
    app = create_console_app(terminal)
    console: ConsoleState = app.state.console
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        server_header=False,
        # X-Forwarded-For is believed from a proxy on this host only, whatever the
        # environment says: the login limit counts failures per client address.
        forwarded_allow_ips="127.0.0.1,::1",
        timeout_graceful_shutdown=2,  # an open event stream must not hold up SIGTERM
        ssl_certfile=str(tls.certificate) if tls is not None else None,
        ssl_keyfile=str(tls.key) if tls is not None else None,
    )
    if tls is not None:
        where = f"https://{address} (certificate SHA-256 {tls.fingerprint})"
    else:
        where = f"http://{address} (plain HTTP: [console] tls = false, or no certificate)"
    await serve_uvicorn(
        config,
        started,
        what=f"the console on {address}",
        sockets=[listener],
        on_started=lambda: log.info("console listening on %s", where),
        # Event streams end now instead of at their next ping.
        on_stop=console.closing.set,
    )
