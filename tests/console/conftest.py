"""Fixtures for the console tests: two real terminals, each with its console app.

Washington and Moscow are real terminal directories (``hotline init``'s way),
introduced to each other, with console users of every role. Making users and
logging in costs Argon2id time (~0.3 s each), so the directories and the
logged-in :class:`~hotline.terminal.Operator` objects are made once per test
session; each test gets fresh copies of the directories and starts both
terminals on a blocking portal, where the apps' routes run too (the loop that
owns the store), as in tests/terminal/test_control.py.

Most tests skip the login form (``ConsoleClient.login_as`` opens a session
directly); tests/console/routes/test_auth.py drives the real form.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from fastapi import FastAPI
from starlette.exceptions import StarletteDeprecationWarning

from hotline.console import SESSION_COOKIE, ConsoleState, create_console_app
from hotline.terminal import Operator, SystemClock, Terminal, load_settings, open_terminal
from hotline.terminal.config import DEFAULT_DEADLINES, AckDeadlines, LinkSettings, render_settings
from hotline.terminal.desks.accounts import authenticate, create_user
from hotline.testing import FakeClock

from ..terminal.helpers import make_pair, set_link_settings, wait_until

with warnings.catch_warnings():
    # Starlette 1.x prefers the httpx2 package and warns once, at import, that
    # plain httpx is deprecated; httpx still works.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    # Re-exported (``as``) for the tests that build their own client.
    from fastapi.testclient import TestClient as TestClient

T = TypeVar("T")

PASSWORD = "correct horse battery staple"
#: Where the TestClient's cookies live (httpx names the host "testserver" so).
COOKIE_DOMAIN = "testserver.local"
#: (terminal, user, role, language)
USERS = (
    ("washington", "wash-op", "operator", "en"),
    ("washington", "wash-principal", "principal", "en"),
    ("washington", "wash-auditor", "auditor", "en"),
    ("washington", "wash-admin", "admin", "en"),
    ("moscow", "mos-op", "operator", "en"),
    ("moscow", "mos-op-id", "operator", "id"),
    ("moscow", "mos-principal", "principal", "ru"),
)


#: A valid flight notice (docs/formats.md 4.1): two bombers along a corridor near the border.
FLIGHT: dict[str, Any] = {
    "aircraft_type": "Tu-95MS",
    "count": 2,
    "corridor": [{"lat": 69.5, "lon": 33.1}, {"lat": 70.25, "lon": 40}],
    "closest_approach_km": 20,
    "window": {"start": "2026-11-23T14:00:00Z", "end": "2026-11-23T18:30:00Z"},
}
#: A valid meeting proposal, agreed in principle with its time and format still open.
MEETING: dict[str, Any] = {
    "proposer": "The President of the United States",
    "participants": ["President of the United States", "President of Russia"],
    "conditions": ["An agenda agreed in advance"],
    "time": "tbd",
    "format": "tbd",
}


@dataclass(frozen=True)
class Template:
    washington: Path
    moscow: Path
    operators: dict[str, Operator]


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    root = tmp_path_factory.mktemp("console-template")
    washington, moscow = make_pair(root, dialer="Washington", listener="Moscow")
    dirs = {"washington": washington, "moscow": moscow}
    operators = {}
    for where, name, role, language in USERS:
        files = open_terminal(dirs[where])
        try:
            create_user(
                files.store,
                SystemClock(),
                name=name,
                role=role,
                password=PASSWORD,
                language=language,
            )
            operators[name] = authenticate(files.store, name, PASSWORD)
        finally:
            files.store.close()
    return Template(washington=washington, moscow=moscow, operators=operators)


@dataclass
class ConsoleClient:
    """One terminal's console app, a TestClient on it, and the browser's CSRF token."""

    app: FastAPI
    # A TestClient, typed as its httpx base: Starlette 1.x annotates TestClient
    # against the httpx2 package, which is not installed (it runs on httpx),
    # so mypy would see every TestClient call as returning Any.
    client: httpx.Client
    portal: BlockingPortal
    terminal: Terminal
    operators: dict[str, Operator]
    clock: FakeClock
    csrf: str = ""
    token: str = ""
    extra_headers: dict[str, str] = field(default_factory=dict)

    @property
    def state(self) -> ConsoleState:
        state: ConsoleState = self.app.state.console
        return state

    def on_loop(self, function: Callable[[], T]) -> T:
        """Run ``function`` on the thread that owns the terminal's store."""
        return self.portal.call(function)

    def login_as(self, name: str, *, language: str | None = None) -> None:
        """Open a session for ``name`` (as a successful login would) and hold its cookie."""
        operator = self.operators[name]
        sessions = self.state.sessions
        self.token, session = self.portal.call(sessions.create, operator)
        if language is not None:
            session = self.portal.call(sessions.set_language, self.token, language)
        self.csrf = session.csrf_token
        self.set_cookie(self.token)

    def set_cookie(self, token: str) -> None:
        """Hold ``token`` as the session cookie, as the server would have set it."""
        self.client.cookies.set(SESSION_COOKIE, token, domain=COOKIE_DOMAIN)

    def cookie(self) -> str | None:
        return self.client.cookies.get(SESSION_COOKIE, domain=COOKIE_DOMAIN)

    def logout_locally(self) -> None:
        self.client.cookies.clear()
        self.csrf = self.token = ""

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(path, **kwargs)

    def post(self, path: str, body: Any = None, *, csrf: str | None = None) -> httpx.Response:
        """POST JSON with the session's CSRF token (or ``csrf`` given, "" for none)."""
        token = self.csrf if csrf is None else csrf
        headers = {"X-CSRF-Token": token} if token else {}
        return self.client.post(path, json=body if body is not None else {}, headers=headers)

    def send(self, text: str = "Agreed: the call at 1400Z", **fields: Any) -> dict[str, Any]:
        body = {"to": "Moscow" if self.terminal.party == "Washington" else "Washington"}
        body.update(text=text, **fields)
        response = self.post("/api/messages", body)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def notify(self, code: str, data: dict[str, Any], **fields: Any) -> httpx.Response:
        """POST a formatted notification of format ``code`` to the other party."""
        to = "Moscow" if self.terminal.party == "Washington" else "Washington"
        body: dict[str, Any] = {"to": to, "format": code, "data": data, **fields}
        return self.post("/api/notifications", body)

    def page_csrf(self, html: str) -> str:
        match = re.search(r'<meta name="csrf-token" content="([^"]+)">', html)
        assert match is not None
        return match.group(1)


@dataclass
class Pair:
    portal: BlockingPortal
    washington: ConsoleClient
    moscow: ConsoleClient

    def wait_until(self, predicate: Callable[[], bool], *, what: str, within: float = 10.0) -> None:
        self.portal.call(lambda: wait_until(predicate, within=within, what=what))

    def wait_line_up(self) -> None:
        self.wait_until(
            lambda: (
                self.washington.terminal.lines["Moscow"].state.value == "up"
                and self.moscow.terminal.lines["Washington"].state.value == "up"
            ),
            what="the line to come up",
        )


def _console(
    portal: BlockingPortal, terminal: Terminal, operators: dict[str, Operator]
) -> ConsoleClient:
    clock = FakeClock()
    app = create_console_app(terminal, clock=clock)
    client = TestClient(app, follow_redirects=False)
    # Requests run on this portal's thread: the one that opened the store.
    client.portal = portal
    return ConsoleClient(
        app=app, client=client, portal=portal, terminal=terminal, operators=operators, clock=clock
    )


#: A FLASH goes overdue after this many seconds in the ``quick`` pair (2 minutes by default).
QUICK_FLASH_DEADLINE = 1.0


def _shorten_flash_deadline(directory: Path) -> None:
    config = directory / "hotline.toml"
    settings = load_settings(config)
    seconds = {**DEFAULT_DEADLINES, "flash": QUICK_FLASH_DEADLINE}
    settings = dataclasses.replace(settings, acknowledgement=AckDeadlines(seconds=seconds))
    config.write_text(render_settings(settings), encoding="utf-8")


#: Heartbeats for tests that keep a call up across several requests: a line presumed
#: dead on a loaded machine would end a ringing call as failed (which is right, but
#: not what those tests are about).
CALM_LINK = LinkSettings(
    heartbeat_interval=0.25, dead_after=8, reconnect_initial=0.05, reconnect_cap=0.5
)


def _pair(
    template: Template,
    tmp_path: Path,
    *,
    start_moscow: bool,
    quick: bool = False,
    link: LinkSettings | None = None,
) -> Iterator[Pair]:
    washington_dir = tmp_path / "washington"
    moscow_dir = tmp_path / "moscow"
    shutil.copytree(template.washington, washington_dir)
    shutil.copytree(template.moscow, moscow_dir)
    if quick:
        for directory in (washington_dir, moscow_dir):
            _shorten_flash_deadline(directory)
    if link is not None:
        for directory in (washington_dir, moscow_dir):
            set_link_settings(directory, link)
    with start_blocking_portal() as portal:
        washington = portal.call(Terminal.open, washington_dir)
        moscow = portal.call(Terminal.open, moscow_dir)
        portal.call(washington.start)
        if start_moscow:
            portal.call(moscow.start)
        try:
            yield Pair(
                portal=portal,
                washington=_console(portal, washington, template.operators),
                moscow=_console(portal, moscow, template.operators),
            )
        finally:
            portal.call(washington.stop)
            if start_moscow:
                portal.call(moscow.stop)
            else:
                portal.call(moscow.store.close)


@pytest.fixture
def pair(template: Template, tmp_path: Path) -> Iterator[Pair]:
    """Both terminals started, each with its console; nobody logged in yet."""
    yield from _pair(template, tmp_path, start_moscow=True)


@pytest.fixture
def quick(template: Template, tmp_path: Path) -> Iterator[Pair]:
    """Both terminals started, with a FLASH acknowledgement deadline of one second."""
    yield from _pair(template, tmp_path, start_moscow=True, quick=True)


@pytest.fixture
def calm(template: Template, tmp_path: Path) -> Iterator[Pair]:
    """Both terminals started with slower heartbeats (:data:`CALM_LINK`), for calls."""
    yield from _pair(template, tmp_path, start_moscow=True, link=CALM_LINK)


@pytest.fixture
def lone(template: Template, tmp_path: Path) -> Iterator[Pair]:
    """Washington started, Moscow not: the line stays down and messages stay queued."""
    yield from _pair(template, tmp_path, start_moscow=False)


@pytest.fixture
def wash(pair: Pair) -> ConsoleClient:
    """Washington's console with its operator logged in (the line to Moscow comes up)."""
    pair.washington.login_as("wash-op")
    return pair.washington


@pytest.fixture
def alone(lone: Pair) -> ConsoleClient:
    """Washington's console with its operator logged in, and Moscow not running."""
    lone.washington.login_as("wash-op")
    return lone.washington
