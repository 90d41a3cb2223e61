"""The app factory and its server: state per app, error mapping, serve_console on a real port."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import socket
import ssl

import httpx
import pytest

from hotline.console import (
    CONTENT_SECURITY_POLICY,
    HSTS,
    create_console_app,
    serve_console,
)
from hotline.errors import (
    ConfigError,
)
from hotline.terminal import Terminal
from hotline.terminal.config import console_certificate_path

from ..terminal.helpers import free_port
from .conftest import ConsoleClient, Pair


def test_each_app_has_its_own_state(pair: Pair) -> None:
    one = create_console_app(pair.washington.terminal)
    two = create_console_app(pair.washington.terminal)
    assert one.state.console is not two.state.console
    assert one.state.console.sessions is not two.state.console.sessions
    token, _ = pair.portal.call(
        one.state.console.sessions.create, pair.washington.operators["wash-op"]
    )
    assert two.state.console.sessions.get(token) is None


def test_the_fingerprint_is_the_cards(wash: ConsoleClient) -> None:
    status = wash.get("/api/status").json()
    assert wash.state.fingerprint == status["fingerprint"]


def test_validation_errors_use_the_error_shape(wash: ConsoleClient) -> None:
    response = wash.get("/api/messages?limit=0")
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "InvalidArgument"
    assert "limit" in body["detail"]


async def _serve_and_get(
    terminal: Terminal, url: str, verify: ssl.SSLContext | bool = True
) -> tuple[httpx.Response, httpx.Response]:
    started = asyncio.Event()
    task = asyncio.create_task(serve_console(terminal, started))
    try:
        async with asyncio.timeout(10):
            await started.wait()
        async with httpx.AsyncClient(follow_redirects=False, verify=verify) as client:
            login = await client.get(f"{url}/login")
            page = await client.get(f"{url}/traffic")
        return login, page
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def test_serve_console_listens_on_the_configured_address(pair: Pair) -> None:
    terminal = pair.washington.terminal
    port = free_port()
    terminal.settings = dataclasses.replace(terminal.settings, console=f"127.0.0.1:{port}")
    # HTTPS by default, with the certificate init made: pinned here as the only trust anchor.
    certificate, _ = console_certificate_path(terminal.files.paths)
    pinned = ssl.create_default_context(cadata=certificate.read_text(encoding="ascii"))
    login, page = pair.portal.call(_serve_and_get, terminal, f"https://127.0.0.1:{port}", pinned)
    assert login.status_code == 200
    assert login.headers["strict-transport-security"] == HSTS
    assert all("; Secure" in c for c in login.headers.get_list("set-cookie"))
    assert login.headers.get_list("set-cookie")
    assert login.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "server" not in login.headers
    assert page.status_code == 303
    # Stopped cleanly: the port is free again.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))


def test_plain_http_only_when_tls_is_off(pair: Pair) -> None:
    terminal = pair.washington.terminal
    port = free_port()
    terminal.settings = dataclasses.replace(
        terminal.settings, console=f"127.0.0.1:{port}", console_tls=False
    )
    login, _ = pair.portal.call(_serve_and_get, terminal, f"http://127.0.0.1:{port}")
    assert login.status_code == 200
    assert "strict-transport-security" not in login.headers
    assert not any("Secure" in c for c in login.headers.get_list("set-cookie"))


def test_serve_console_needs_an_address(pair: Pair) -> None:
    terminal = pair.washington.terminal
    terminal.settings = dataclasses.replace(terminal.settings, console=None)
    with pytest.raises(ConfigError, match="console"):
        pair.portal.call(serve_console, terminal, asyncio.Event())


def test_serve_console_reports_a_port_in_use(pair: Pair) -> None:
    terminal = pair.washington.terminal
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        terminal.settings = dataclasses.replace(terminal.settings, console=f"127.0.0.1:{port}")
        with pytest.raises(ConfigError, match="could not listen"):
            pair.portal.call(serve_console, terminal, asyncio.Event())
