"""The gate and the headers: no route answers without a session, every answer carries the CSP.

The walk goes through the app's own route table, so a route added later is
covered without anyone remembering to list it here.
"""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from hotline.console import (
    CONTENT_SECURITY_POLICY,
    PUBLIC_PATHS,
    create_console_app,
    current_session,
    is_public,
)

from .conftest import ConsoleClient, Pair, TestClient

#: The only routes that answer without a session, by (method, path).
PUBLIC_ROUTES = {("GET", "/login"), ("POST", "/login")}


def concrete(path: str) -> str:
    """The route's path with every parameter filled in."""
    return re.sub(r"\{[^}]+\}", "0123456789abcdef0123456789abcdef", path)


def routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) the app serves, as routing sees it (prefixes applied)."""
    found = []
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, APIRoute):
            found += [(method, str(route.path)) for method in sorted(route.methods or ())]
    return found


def depends_on(dependant: Dependant, call: object) -> bool:
    return any(d.call is call or depends_on(d, call) for d in dependant.dependencies)


def test_the_walk_sees_every_kind_of_route(pair: Pair) -> None:
    found = routes(pair.washington.app)
    # The check must be able to fail: it sees pages, the API, auth and the stream.
    for expected in [
        ("GET", "/"),
        ("GET", "/traffic"),
        ("GET", "/messages/{message_id}"),
        ("GET", "/shift"),
        ("POST", "/logout"),
        ("GET", "/api/status"),
        ("POST", "/api/messages"),
        ("POST", "/api/messages/{message_id}/ack"),
        ("POST", "/api/alarms/{alarm_id}/ack"),
        ("GET", "/api/events"),
        ("POST", "/api/language"),
        ("GET", "/api/openapi.json"),
        ("GET", "/notify"),
        ("GET", "/reports"),
        ("GET", "/api/formats"),
        ("POST", "/api/notifications"),
        ("POST", "/api/notifications/validate"),
        ("GET", "/api/meetings"),
        ("GET", "/api/reports"),
        ("GET", "/api/reports/counts.csv"),
        ("GET", "/api/reports/notifications.csv"),
        ("GET", "/calls"),
        ("GET", "/api/calls"),
        ("POST", "/api/calls"),
        ("GET", "/api/calls/{call_id}"),
        ("POST", "/api/calls/{call_id}/answer"),
        ("POST", "/api/calls/{call_id}/candidate"),
        ("GET", "/api/presence"),
        ("POST", "/api/presence/{request_id}/answer"),
    ]:
        assert expected in found
    assert len(found) >= 27
    assert "/static" in {route.path for route in iter_route_contexts(pair.washington.app.routes)}


def test_no_route_answers_without_a_session(pair: Pair) -> None:
    console = pair.washington
    checked = 0
    for method, path in routes(console.app):
        if (method, path) in PUBLIC_ROUTES:
            continue
        response = console.client.request(method, concrete(path))
        if path.startswith("/api/"):
            assert response.status_code == 401, (method, path)
            assert response.json() == {"error": "AuthenticationFailed", "detail": "log in first"}
        else:
            assert response.status_code == 303, (method, path)
            assert response.headers["location"].startswith("/login")
        checked += 1
    assert checked >= 25


def test_a_wrong_or_stale_cookie_is_no_session(pair: Pair) -> None:
    console = pair.washington
    console.set_cookie("not-a-session-token")
    assert console.get("/api/status").status_code == 401
    assert console.get("/traffic").status_code == 303


@pytest.mark.parametrize("path", ["/nothing-here", "/api/nothing", "/docs", "/openapi.json"])
def test_unknown_paths_say_nothing_without_a_session(pair: Pair, path: str) -> None:
    response = pair.washington.get(path)
    assert response.status_code in (303, 401)


def test_only_login_and_static_files_are_public(pair: Pair) -> None:
    console = pair.washington
    assert console.get("/login").status_code == 200
    for asset in ("/static/console.js", "/static/console.css"):
        response = console.get(asset)
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-cache"
    assert {"/login"} == PUBLIC_PATHS
    assert is_public("/static/x")
    assert is_public("/login")
    assert not is_public("/")
    assert not is_public("/api/status")
    assert not is_public("/login/x")


def test_every_route_but_login_depends_on_the_session(pair: Pair) -> None:
    """Behind the gate, each route also requires the session itself (defence in depth)."""
    checked = 0
    for route in iter_route_contexts(pair.washington.app.routes):
        if not isinstance(route.original_route, APIRoute) or route.path == "/login":
            continue
        assert depends_on(route.dependant, current_session), route.path
        checked += 1
    assert checked >= 25


def test_the_gate_is_the_first_line(template: object, pair: Pair) -> None:
    """Even a route with no session dependency at all is refused by the gate."""
    app = create_console_app(pair.washington.terminal)

    @app.get("/api/forgotten")
    async def forgotten() -> dict[str, str]:
        return {"secret": "yes"}

    client = TestClient(app, follow_redirects=False)
    client.portal = pair.portal
    assert client.get("/api/forgotten").status_code == 401


# -- security headers ------------------------------------------------------------


def assert_security_headers(response: httpx.Response, *, cache: str = "no-store") -> None:
    headers = response.headers
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "unsafe-inline" not in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"
    assert headers["cache-control"] == cache


def test_security_headers_on_every_kind_of_answer(pair: Pair, wash: ConsoleClient) -> None:
    anonymous = pair.moscow
    assert_security_headers(anonymous.get("/login"))
    assert_security_headers(anonymous.get("/"))  # the gate's redirect
    assert_security_headers(anonymous.get("/api/status"))  # the gate's 401
    assert_security_headers(anonymous.get("/static/console.js"), cache="no-cache")
    assert_security_headers(wash.get("/"))
    assert_security_headers(wash.get("/traffic"))
    assert_security_headers(wash.get("/api/status"))
    assert_security_headers(wash.get("/api/messages/unknown"))  # a 404 error
    assert_security_headers(wash.get("/messages/unknown"))  # an error page
    assert_security_headers(wash.post("/api/messages", {"to": "Moscow"}))  # a 422


def test_pages_carry_no_inline_script_or_style(wash: ConsoleClient) -> None:
    for path in ("/", "/traffic", "/shift", "/login"):
        html = wash.get(path).text
        for tag in re.findall(r"<script\b[^>]*>", html):
            # Only external scripts, or JSON data blocks that browsers never run.
            assert 'src="/static/' in tag or 'type="application/json"' in tag, tag
        assert "<style" not in html
        assert " style=" not in html
        assert " onclick=" not in html
        assert " onload=" not in html
