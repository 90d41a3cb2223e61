"""Everything one console app holds, in one object on ``app.state.console``.

The app factory builds a :class:`ConsoleState` per app: no module-level
globals, so tests can run several consoles (two terminals) in one process,
each with its own sessions and clock.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from hotline.console.i18n import Catalogues, load_catalogues
from hotline.console.security import LoginFailureLog, LoginLimiter, SessionStore
from hotline.console.templating import PageRenderer
from hotline.terminal import Clock, Terminal
from hotline.utc import format_utc

__all__ = ["LOGIN_CHECKS_AT_ONCE", "ConsoleState", "build_state"]

#: Password checks run in threads (Argon2id takes ~0.15 s and 64 MiB each); at most
#: this many at once, so a burst of logins cannot exhaust memory.
LOGIN_CHECKS_AT_ONCE = 2


@dataclass(slots=True, kw_only=True)
class ConsoleState:
    """The terminal a console shows, and the console's own sessions, limits and languages."""

    terminal: Terminal
    clock: Clock
    sessions: SessionStore
    limiter: LoginLimiter
    failures: LoginFailureLog
    catalogues: Catalogues
    pages: PageRenderer
    #: This party's fingerprint (12 groups of 5 digits), computed once.
    fingerprint: str
    #: Seconds an event stream waits for a change before it sends a keep-alive comment.
    event_ping: float = 15.0
    #: Set when the server is stopping, so that event streams end at once.
    closing: asyncio.Event = field(default_factory=asyncio.Event)
    login_checks: asyncio.Semaphore = field(
        default_factory=lambda: asyncio.Semaphore(LOGIN_CHECKS_AT_ONCE)
    )

    def journal(self, kind: str, data: dict[str, Any]) -> None:
        """Append to the terminal's journal, stamped with the terminal's clock."""
        self.terminal.store.append_journal(
            kind=kind, at=format_utc(self.terminal.clock.now()), data=data
        )


def build_state(terminal: Terminal, *, clock: Clock | None = None) -> ConsoleState:
    """A console's state for ``terminal``; ``clock`` (default: the terminal's) times sessions."""
    clock = clock or terminal.clock
    catalogues = load_catalogues()
    state: ConsoleState

    def journal_failure(data: dict[str, Any]) -> None:
        state.journal("console login failed", data)

    state = ConsoleState(
        terminal=terminal,
        clock=clock,
        sessions=SessionStore(clock),
        limiter=LoginLimiter(clock),
        failures=LoginFailureLog(clock, journal_failure),
        catalogues=catalogues,
        pages=PageRenderer(catalogues),
        fingerprint=terminal.fingerprint,
    )
    return state
