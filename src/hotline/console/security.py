"""Who is logged in to the console, and how logins and forms are protected.

The console runs on a private address in the operations room, in plain HTTP
unless a TLS proxy is put in front (docs/console.md). What protects it:

* **Sessions** live in memory only (:class:`SessionStore`): a restart logs
  everyone out, and a session token never reaches the disk. The token is
  ``secrets.token_urlsafe(32)`` in the cookie ``hotline_session`` (HttpOnly,
  SameSite=Strict, Path=/). A session ends after 8 hours without activity
  (one watch) and 12 hours after login whatever happens; logout ends it at
  once. The logged-in :class:`~hotline.terminal.Operator` holds the user's
  unwrapped signing key, so it must not outlive the session.
* **CSRF.** Every state-changing request carries the session's CSRF token in
  the ``X-CSRF-Token`` header (fetch) or a ``csrf_token`` form field, compared
  in constant time (:func:`tokens_match`). The login form has no session yet,
  so it uses a double-submit cookie, ``hotline_login_csrf``.
* **Login rate limit** (:class:`LoginLimiter`): per user name and per client
  address, 5 failures within 15 minutes lock further attempts for 1 minute,
  doubling with each further failure up to an hour. A success resets both.
* **Journal** (:class:`LoginFailureLog`): failed logins go to the log, and to
  the terminal's journal at most once per name per minute and 30 times a
  minute overall, with a count of the ones left out, so guessing cannot flood
  the fsynced journal.

Durations are read from the injected clock's monotonic time, so a wall clock
stepped by NTP can neither expire nor prolong a session.
"""

from __future__ import annotations

import hmac
import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from hotline.errors import InvalidArgument
from hotline.terminal import UI_LANGUAGES, Clock, Operator

__all__ = [
    "ABSOLUTE_TIMEOUT",
    "BACKGROUND_HEADER",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "IDLE_TIMEOUT",
    "LOGIN_CSRF_COOKIE",
    "SESSION_COOKIE",
    "UNSAFE_METHODS",
    "ConsoleSession",
    "LoginFailureLog",
    "LoginLimiter",
    "SessionStore",
    "new_token",
    "tokens_match",
]

SESSION_COOKIE = "hotline_session"
LOGIN_CSRF_COOKIE = "hotline_login_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
#: Sent by the console's own refreshes (live updates, polling): they are not the
#: operator's activity, so they do not keep an idle session alive.
BACKGROUND_HEADER = "X-Hotline-Background"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

#: A session ends after one watch without activity, and half a day after login.
IDLE_TIMEOUT = 8 * 3600.0
ABSOLUTE_TIMEOUT = 12 * 3600.0
#: Sessions kept at most; beyond, expired ones are dropped first, then the oldest.
_MAX_SESSIONS = 1024


def new_token() -> str:
    """A fresh unguessable token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def tokens_match(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a submitted token with the expected one."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsoleSession:
    """One logged-in browser: who, its CSRF token, its language, and when (monotonic s)."""

    operator: Operator
    csrf_token: str
    language: str
    created: float
    last_seen: float

    def __post_init__(self) -> None:
        if not self.csrf_token:
            raise ValueError("a console session needs a CSRF token")
        if self.language not in UI_LANGUAGES:
            raise InvalidArgument(
                f"language must be one of {', '.join(UI_LANGUAGES)}, not {self.language!r}"
            )
        if self.last_seen < self.created:
            raise ValueError("a session cannot be seen before it was created")

    def expired(self, now: float, *, idle: float, absolute: float) -> bool:
        return now - self.last_seen > idle or now - self.created > absolute


class SessionStore:
    """The console's sessions, in memory, by token."""

    def __init__(
        self,
        clock: Clock,
        *,
        idle: float = IDLE_TIMEOUT,
        absolute: float = ABSOLUTE_TIMEOUT,
        limit: int = _MAX_SESSIONS,
    ) -> None:
        if not 0 < idle <= absolute:
            raise ValueError("session timeouts need 0 < idle <= absolute")
        self._clock = clock
        self._idle = idle
        self._absolute = absolute
        self._limit = limit
        self._sessions: dict[str, ConsoleSession] = {}

    def __len__(self) -> int:
        return len(self._sessions)

    def create(self, operator: Operator) -> tuple[str, ConsoleSession]:
        """A new session for ``operator`` (always a fresh token: no session fixation)."""
        now = self._clock.monotonic()
        self.prune()
        while len(self._sessions) >= self._limit:
            oldest = min(self._sessions, key=lambda token: self._sessions[token].last_seen)
            del self._sessions[oldest]
        session = ConsoleSession(
            operator=operator,
            csrf_token=new_token(),
            language=operator.language if operator.language in UI_LANGUAGES else "en",
            created=now,
            last_seen=now,
        )
        token = new_token()
        self._sessions[token] = session
        return token, session

    def get(self, token: str | None, *, touch: bool = True) -> ConsoleSession | None:
        """The live session for ``token``, or None; ``touch`` counts this as activity."""
        if not token:
            return None
        session = self._sessions.get(token)
        if session is None:
            return None
        now = self._clock.monotonic()
        if session.expired(now, idle=self._idle, absolute=self._absolute):
            del self._sessions[token]
            return None
        if touch:
            session = replace(session, last_seen=now)
            self._sessions[token] = session
        return session

    def set_language(self, token: str, language: str) -> ConsoleSession:
        """Switch a live session's language; InvalidArgument for an unknown one or a dead session."""
        session = self.get(token, touch=True)
        if session is None:
            raise InvalidArgument("the session has ended")
        session = replace(session, language=language)  # __post_init__ checks the language
        self._sessions[token] = session
        return session

    def delete(self, token: str | None) -> bool:
        """End a session (logout); False if there was none."""
        if not token:
            return False
        return self._sessions.pop(token, None) is not None

    def prune(self) -> int:
        """Drop every expired session; return how many."""
        now = self._clock.monotonic()
        dead = [
            token
            for token, session in self._sessions.items()
            if session.expired(now, idle=self._idle, absolute=self._absolute)
        ]
        for token in dead:
            del self._sessions[token]
        return len(dead)


@dataclass(slots=True)
class _Strikes:
    """Failed logins for one key (a user name or a client address)."""

    count: int = 0
    last: float = 0.0
    locked_until: float = 0.0


class LoginLimiter:
    """Failed logins per user name and per client address, and the lockouts they earn.

    ``max_failures`` failures, each within ``window`` seconds of the one
    before (or of the end of a lockout), lock that name or address for
    ``first_lockout`` seconds; every further failure doubles the lockout, up
    to ``max_lockout``. Quiet for ``window`` seconds after the last failure and
    any lockout, a key starts afresh. A success clears the name and the address.

    An attempt is counted as a failure *before* the password is checked
    (:meth:`attempt`) and forgiven on success, so parallel guesses cannot
    slip through while a check is still running.
    """

    def __init__(
        self,
        clock: Clock,
        *,
        max_failures: int = 5,
        window: float = 15 * 60.0,
        first_lockout: float = 60.0,
        max_lockout: float = 3600.0,
        remembered: int = 4096,
    ) -> None:
        if max_failures < 1 or not 0 < first_lockout <= max_lockout or window <= 0:
            raise ValueError("login limits need max_failures >= 1 and 0 < first <= max lockout")
        self._clock = clock
        self._max_failures = max_failures
        self._window = window
        self._first_lockout = first_lockout
        self._max_lockout = max_lockout
        self._remembered = remembered
        self._names: dict[str, _Strikes] = {}
        self._addresses: dict[str, _Strikes] = {}

    def retry_after(self, *, name: str, address: str) -> float:
        """Seconds until ``name`` from ``address`` may try again; 0 if it may now."""
        now = self._clock.monotonic()
        waits = [
            strikes.locked_until - now
            for strikes in (self._names.get(name), self._addresses.get(address))
            if strikes is not None and strikes.locked_until > now
        ]
        return max(waits, default=0.0)

    def attempt(self, *, name: str, address: str) -> None:
        """Count an attempt as failed until :meth:`succeeded` says otherwise."""
        now = self._clock.monotonic()
        for table, key in ((self._names, name), (self._addresses, address)):
            strikes = table.get(key)
            if strikes is None:
                self._prune(table, now)
                strikes = table[key] = _Strikes()
            elif now - max(strikes.last, strikes.locked_until) > self._window:
                strikes.count = 0  # quiet long enough: start afresh
            strikes.count += 1
            strikes.last = now
            if strikes.count >= self._max_failures:
                doublings = strikes.count - self._max_failures
                lockout = self._first_lockout * 2 ** min(doublings, 32)
                strikes.locked_until = now + min(lockout, self._max_lockout)

    def succeeded(self, *, name: str, address: str) -> None:
        self._names.pop(name, None)
        self._addresses.pop(address, None)

    def failures(self, *, name: str | None = None, address: str | None = None) -> int:
        """Failures counted now against a name or an address (for tests and the log)."""
        table, key = (self._names, name) if name is not None else (self._addresses, address)
        strikes = table.get(key or "")
        return 0 if strikes is None else strikes.count

    def _prune(self, table: dict[str, _Strikes], now: float) -> None:
        """Bound memory: names are chosen by whoever knocks, so forget the harmless ones."""
        if len(table) < self._remembered:
            return
        for key in [
            key
            for key, strikes in table.items()
            if strikes.locked_until <= now and now - strikes.last > self._window
        ]:
            del table[key]
        while len(table) >= self._remembered:
            # Still full of live entries (a flood): forget the quietest.
            del table[min(table, key=lambda key: table[key].last)]


class LoginFailureLog:
    """Hands failed logins to the terminal's journal, bounded per name and overall."""

    def __init__(
        self,
        clock: Clock,
        journal: Callable[[dict[str, Any]], None],
        *,
        per_name_interval: float = 60.0,
        per_minute: int = 30,
        remembered: int = 4096,
    ) -> None:
        self._clock = clock
        self._journal = journal
        self._interval = per_name_interval
        self._per_minute = per_minute
        self._remembered = remembered
        #: name -> (monotonic time last journaled or None, failures left out since)
        self._names: dict[str, tuple[float | None, int]] = {}
        self._recent: deque[float] = deque()
        self._left_out = 0

    def failed(self, *, name: str, address: str) -> bool:
        """Note one failed login; True if it went to the journal."""
        now = self._clock.monotonic()
        while self._recent and now - self._recent[0] >= 60.0:
            self._recent.popleft()
        last, suppressed = self._names.get(name, (None, 0))
        name_quiet = last is None or now - last >= self._interval
        if not name_quiet or len(self._recent) >= self._per_minute:
            self._remember(name, (last, suppressed + 1), now)
            self._left_out += 1
            return False
        data: dict[str, Any] = {"name": name, "address": address}
        if suppressed:
            data["suppressed_for_name"] = suppressed
        if self._left_out:
            data["suppressed_overall"] = self._left_out
        self._journal(data)
        self._remember(name, (now, 0), now)
        self._recent.append(now)
        self._left_out = 0
        return True

    def _remember(self, name: str, entry: tuple[float | None, int], now: float) -> None:
        if name not in self._names and len(self._names) >= self._remembered:
            # Forget names whose interval has passed (their counts are the price of a bound).
            self._names = {
                key: (last, count)
                for key, (last, count) in self._names.items()
                if last is not None and now - last < self._interval
            }
        self._names[name] = entry
