"""The console's two gates around every request: security headers, and "log in first".

Both are plain ASGI middleware rather than Starlette's ``BaseHTTPMiddleware``,
which buffers and can break streamed responses (the server-sent event stream).

* :class:`SecurityHeaders` puts the Content-Security-Policy and its companions
  on every response, errors and static files included.
* :class:`SessionGate` finds the session named by the ``hotline_session``
  cookie *before* routing. A request without a live session gets 401 (under
  ``/api/``) or a redirect to ``/login`` (pages), whatever path it asks for,
  unless it is one of the few public ones: the login form and the static
  files. A route therefore cannot be published without a session by
  forgetting a dependency; the dependencies check again behind it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from http.cookies import CookieError, SimpleCookie
from urllib.parse import quote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hotline.console.deps import SESSION_STATE_KEY, TOKEN_STATE_KEY
from hotline.console.security import BACKGROUND_HEADER, SESSION_COOKIE, SessionStore

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "HSTS",
    "PUBLIC_PATHS",
    "PUBLIC_PREFIXES",
    "SECURITY_HEADERS",
    "SecurityHeaders",
    "SessionGate",
    "is_public",
]

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
)
#: Paths that answer without a session (every method listed is allowed on them).
PUBLIC_PATHS = frozenset({"/login"})
PUBLIC_PREFIXES = ("/static/",)


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


class SecurityHeaders:
    """Adds the security headers, and ``Cache-Control``, to every HTTP response.

    Over HTTPS it also sends ``Strict-Transport-Security`` and marks every cookie
    ``Secure``, so that a session cookie never travels in the clear, even to a
    plain-HTTP listener on the same host name.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Static files may be revalidated; pages and API answers must never be kept
        # (they hold messages, and a shared machine's cache is not the place for them).
        cache = "no-cache" if str(scope["path"]).startswith(PUBLIC_PREFIXES) else "no-store"
        tls = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                ours = {name.encode("latin-1") for name, _ in SECURITY_HEADERS} | {b"cache-control"}
                headers = [
                    (
                        name,
                        _secure_cookie(value) if tls and name.lower() == b"set-cookie" else value,
                    )
                    for name, value in message.get("headers", [])
                    if name.lower() not in ours
                ]
                headers += [(n.encode("latin-1"), v.encode("latin-1")) for n, v in SECURITY_HEADERS]
                headers.append((b"cache-control", cache.encode("latin-1")))
                if tls:
                    headers.append((b"strict-transport-security", HSTS.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


#: Over HTTPS: browsers use HTTPS only for this host for a year. No
#: ``includeSubDomains``: the console's host name may serve other things.
HSTS = "max-age=31536000"


def _secure_cookie(value: bytes) -> bytes:
    """A ``Set-Cookie`` value with the ``Secure`` attribute (added once)."""
    attributes = {part.strip().lower() for part in value.split(b";")[1:]}
    return value if b"secure" in attributes else value + b"; Secure"


def _cookie(headers: Iterable[tuple[bytes, bytes]], name: str) -> str | None:
    for key, value in headers:
        if key.lower() != b"cookie":
            continue
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(value.decode("latin-1"))
        except CookieError:
            continue
        if name in jar:
            return jar[name].value
    return None


class SessionGate:
    """Refuses every non-public request that has no live session; passes the session on."""

    def __init__(self, app: ASGIApp, *, sessions: SessionStore) -> None:
        self.app = app
        self.sessions = sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope["path"])
        headers = list(scope.get("headers", []))
        token = _cookie(headers, SESSION_COOKIE)
        background = any(key.lower() == BACKGROUND_HEADER.lower().encode() for key, _ in headers)
        session = self.sessions.get(token, touch=not background)
        if session is not None:
            state = scope.setdefault("state", {})
            state[SESSION_STATE_KEY] = session
            state[TOKEN_STATE_KEY] = token
        elif not is_public(path):
            await self._refuse(scope, send, path)
            return
        await self.app(scope, receive, send)

    @staticmethod
    async def _refuse(scope: Scope, send: Send, path: str) -> None:
        if path == "/api" or path.startswith("/api/"):
            body = json.dumps({"error": "AuthenticationFailed", "detail": "log in first"}).encode()
            status = 401
            headers = [(b"content-type", b"application/json")]
        else:
            # Back to the page after login; only a local path, so no open redirect.
            target = "/login" if path == "/" else f"/login?next={quote(path, safe='/')}"
            body = b""
            status = 303
            headers = [(b"location", target.encode("latin-1"))]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
