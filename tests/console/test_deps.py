"""CSRF on every state-changing route, and what each role may do (403 otherwise)."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from hotline.console import UNSAFE_METHODS

from .conftest import ConsoleClient, Pair

#: Checked by its own double-submit cookie instead (tests/console/routes/test_auth.py).
LOGIN = ("POST", "/login")


def state_changing_routes(console: ConsoleClient) -> list[tuple[str, str]]:
    found = []
    for route in iter_route_contexts(console.app.routes):
        if isinstance(route.original_route, APIRoute):
            for method in route.methods or ():
                if method in UNSAFE_METHODS and (method, route.path) != LOGIN:
                    found.append((method, re.sub(r"\{[^}]+\}", "0" * 32, str(route.path))))
    return found


def test_there_are_state_changing_routes_to_check(wash: ConsoleClient) -> None:
    paths = {path for _, path in state_changing_routes(wash)}
    assert {"/logout", "/api/messages", "/api/language", "/api/shift-notes"} <= paths
    assert len(paths) >= 6


@pytest.mark.parametrize("token", ["", "wrong-token"])
def test_csrf_is_refused_on_every_state_changing_route(wash: ConsoleClient, token: str) -> None:
    for method, path in state_changing_routes(wash):
        response = wash.client.request(
            method, path, json={}, headers={"X-CSRF-Token": token} if token else {}
        )
        assert response.status_code == 403, (method, path, response.text)
        if path.startswith("/api/"):
            assert response.json()["error"] == "PermissionDenied"
            assert "CSRF" in response.json()["detail"]
        else:  # a page's form: the refusal is a page too
            assert "CSRF" in response.text
    # Refused, so nothing happened: still logged in, nothing sent.
    assert wash.get("/api/status").status_code == 200
    assert wash.on_loop(lambda: wash.terminal.store.list_messages()) == []


def test_a_form_post_may_carry_the_token_as_a_field(wash: ConsoleClient) -> None:
    refused = wash.client.post("/logout", data={"csrf_token": "wrong"})
    assert refused.status_code == 403
    accepted = wash.client.post("/logout", data={"csrf_token": wash.csrf})
    assert accepted.status_code == 303
    assert wash.get("/api/status").status_code == 401


def test_the_right_token_passes_the_check(wash: ConsoleClient) -> None:
    response = wash.post("/api/language", {"language": "en"})
    assert response.status_code == 200


def test_another_sessions_token_is_wrong(pair: Pair) -> None:
    console = pair.washington
    console.login_as("wash-principal")
    other = console.csrf
    console.login_as("wash-op")
    response = console.post("/api/language", {"language": "en"}, csrf=other)
    assert response.status_code == 403


# -- roles ---------------------------------------------------------------------


def test_an_auditor_reads_but_cannot_send_or_acknowledge(pair: Pair) -> None:
    console = pair.washington
    console.login_as("wash-auditor")
    assert console.get("/api/status").status_code == 200
    assert console.get("/api/messages").status_code == 200
    assert console.get("/traffic").status_code == 200
    refused = console.post("/api/messages", {"to": "Moscow", "text": "hello"})
    assert refused.status_code == 403
    assert refused.json()["error"] == "PermissionDenied"
    assert console.post("/api/messages/" + "0" * 32 + "/ack").status_code == 403
    assert console.post("/api/alarms/0123/ack").status_code == 403
    assert console.post("/api/shift-notes", {"text": "handover"}).status_code == 403
    assert console.on_loop(lambda: console.terminal.store.list_messages()) == []


def test_a_principal_acknowledges_but_does_not_send(pair: Pair) -> None:
    console = pair.washington
    console.login_as("wash-principal")
    assert console.post("/api/messages", {"to": "Moscow", "text": "hello"}).status_code == 403
    # Past the permission check: the message does not exist.
    response = console.post("/api/messages/" + "0" * 32 + "/ack")
    assert response.status_code == 404
    assert response.json()["error"] == "UnknownMessage"
    assert console.post("/api/alarms/0123/ack").status_code == 403
    assert console.post("/api/shift-notes", {"text": "handover"}).status_code == 403


def test_an_admin_reads_only_here(pair: Pair) -> None:
    console = pair.washington
    console.login_as("wash-admin")
    assert console.get("/").status_code == 200
    assert console.post("/api/messages", {"to": "Moscow", "text": "hello"}).status_code == 403


def test_an_operator_may_do_it_all(wash: ConsoleClient) -> None:
    assert wash.post("/api/messages", {"to": "Moscow", "text": "hello"}).status_code == 201
    assert wash.post("/api/shift-notes", {"text": "handover"}).status_code == 201
    assert wash.post("/api/alarms/0123/ack").status_code == 404  # allowed, but no such alarm
