"""Which route carries a peer's traffic: the failover policy, as a pure object.

A peer is reached over several routes (its card lists them; the Moscow-
Washington line has had two independent ones since 1963). The terminal keeps a
session open on every route it can and sends over one, the *active* route.
This module decides which, and when a lost route is dialed again. It does no
I/O and reads no clock: every method takes ``now`` (monotonic seconds) from the
caller, so it is tested on a fake clock, the way trio tests Happy Eyeballs.

The rules (normative text: ``docs/protocol/routes.md``):

* A route is **down** while it has no open session, **up** while its session
  has been heard from (any frame, heartbeats included) within
  :attr:`FailoverPolicy.silent_after`, and **silent** when its session is open
  but quiet for longer. A silent route is not yet dead: the session declares
  it dead after ``heartbeat_interval * dead_after`` of silence and closes it.
* The active route stays where it is while it is up (no flapping between
  equally good routes). When it goes silent or down, traffic moves to the first
  up route in card order. A route that is up and whose smoothed round-trip time
  is less than half the active one's, and at least 20 ms less, takes over too.
* With no route up, a silent route still carries traffic (it may recover);
  with no session at all there is no active route and messages wait, stored.
* A route that failed is redialed after a capped exponential backoff with
  jitter (:class:`~hotline.link.backoff.Backoff`); a session that *opened*
  resets it, a TLS connection that did not does not (no hot redial loop).
* The line is ``up`` when every route is up, ``down`` when no route has a
  session, and ``degraded`` otherwise.

Moving traffic never loses or duplicates a message: the terminal resends
everything not yet receipted on the new route, and the receiver's inbox takes
each serial once (``docs/protocol/delivery.md``).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from hotline.link.backoff import Backoff

__all__ = [
    "BETTER_MARGIN",
    "BETTER_RATIO",
    "FailoverPolicy",
    "LineState",
    "RouteState",
    "RouteView",
]

#: A route takes over from an up active route only if its RTT is below this
#: fraction of the active one's …
BETTER_RATIO = 0.5
#: … and lower by at least this many seconds (so loopback-scale noise never moves traffic).
BETTER_MARGIN = 0.020
#: Weight of a new sample in the smoothed RTT (RFC 6298's alpha).
RTT_GAIN = 0.125


class RouteState(StrEnum):
    """The state of one route, as the failover policy sees it."""

    DOWN = "down"
    UP = "up"
    SILENT = "silent"


class LineState(StrEnum):
    """The state of a peer's line as a whole."""

    UP = "up"
    DEGRADED = "degraded"
    DOWN = "down"


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteView:
    """A snapshot of one route, for status displays."""

    address: str
    state: RouteState
    active: bool
    #: Smoothed round-trip time in seconds, once measured on the current session.
    rtt: float | None
    #: Monotonic time anything was last heard on this route (any session), if ever.
    last_heard: float | None
    #: Monotonic time the route last changed between having a session and not.
    since: float | None
    #: Failed dials (or sessions that never opened) in a row.
    failures: int


@dataclass(slots=True)
class _Route:
    address: str
    backoff: Backoff
    open: bool = False
    last_heard: float | None = None
    since: float | None = None
    rtt: float | None = None


@dataclass(slots=True, kw_only=True)
class FailoverPolicy:
    """Route states, the active route, and redial delays for one peer."""

    routes: Sequence[str]
    heartbeat_interval: float = 0.5
    dead_after: int = 3
    reconnect_initial: float = 0.1
    reconnect_cap: float = 2.0
    uniform: Callable[[], float] = field(default=random.random)
    _routes: dict[str, _Route] = field(init=False)
    _active: str | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if self.heartbeat_interval <= 0 or self.dead_after < 1:
            raise ValueError("failover needs heartbeat_interval > 0 and dead_after >= 1")
        self._routes = {}
        self.set_routes(self.routes)

    # -- configuration ----------------------------------------------------

    def set_routes(self, routes: Sequence[str]) -> None:
        """Adopt a new list of routes (a refreshed card); known routes keep their state."""
        if not routes:
            raise ValueError("a peer needs at least one route")
        if len(set(routes)) != len(routes):
            raise ValueError("a route is listed twice")
        self.routes = tuple(routes)
        self._routes = {
            address: self._routes.get(address)
            or _Route(
                address=address,
                backoff=Backoff(
                    initial=self.reconnect_initial, cap=self.reconnect_cap, uniform=self.uniform
                ),
            )
            for address in self.routes
        }
        if self._active not in self._routes:
            self._active = None

    @property
    def silent_after(self) -> float:
        """Seconds without a frame after which a route with a session counts as silent.

        Two heartbeat intervals (one missed heartbeat and some slack), or the whole
        dead window if that is shorter.
        """
        return self.heartbeat_interval * min(2, self.dead_after)

    # -- events from the terminal -------------------------------------------

    def opened(self, route: str, now: float) -> None:
        """A session opened on ``route``: it is up, and its backoff starts afresh."""
        state = self._route(route)
        state.open = True
        state.since = now
        state.last_heard = now
        state.rtt = None  # a new path may have a new round-trip time
        state.backoff.reset()

    def heard(self, route: str, now: float) -> None:
        """Something arrived on ``route``'s session."""
        state = self._route(route)
        if state.open:
            state.last_heard = now

    def rtt_sample(self, route: str, seconds: float) -> None:
        """A round-trip time measured on ``route`` (from a heartbeat echo)."""
        if seconds < 0:
            return  # a clock step on the peer's side of the echo; ignore it
        state = self._route(route)
        state.rtt = seconds if state.rtt is None else state.rtt + RTT_GAIN * (seconds - state.rtt)

    def closed(self, route: str, now: float) -> None:
        """The session on ``route`` ended (dead, closed, or replaced by none)."""
        state = self._route(route)
        if state.open:
            state.since = now
        state.open = False
        state.rtt = None
        if self._active == route:
            self._active = None

    def retry_delay(self, route: str) -> float:
        """Seconds to wait before dialing ``route`` again (counts one failure)."""
        return self._route(route).backoff.next_delay()

    # -- decisions ------------------------------------------------------------

    def state(self, route: str, now: float) -> RouteState:
        state = self._route(route)
        if not state.open:
            return RouteState.DOWN
        if state.last_heard is not None and now - state.last_heard <= self.silent_after:
            return RouteState.UP
        return RouteState.SILENT

    def select(self, now: float) -> str | None:
        """Choose the route that carries traffic now (sticky); None if no session is open."""
        up = [r for r in self.routes if self.state(r, now) is RouteState.UP]
        current = self._active
        best: str | None
        if current in up:
            best = current
        elif up:
            best = up[0]
        else:
            silent = [r for r in self.routes if self._routes[r].open]
            if current in silent:
                best = current
            elif silent:
                best = max(silent, key=lambda r: self._routes[r].last_heard or 0.0)
            else:
                best = None
        if best is not None and best in up:
            for route in up:
                if self._better(route, best):
                    best = route
        self._active = best
        return best

    @property
    def active(self) -> str | None:
        """The route chosen by the last :meth:`select`."""
        return self._active

    def line_state(self, now: float) -> LineState:
        states = [self.state(r, now) for r in self.routes]
        if all(s is RouteState.UP for s in states):
            return LineState.UP
        if all(s is RouteState.DOWN for s in states):
            return LineState.DOWN
        return LineState.DEGRADED

    def view(self, route: str, now: float) -> RouteView:
        state = self._route(route)
        return RouteView(
            address=route,
            state=self.state(route, now),
            active=route == self._active,
            rtt=state.rtt,
            last_heard=state.last_heard,
            since=state.since,
            failures=state.backoff.failures,
        )

    def views(self, now: float) -> tuple[RouteView, ...]:
        return tuple(self.view(route, now) for route in self.routes)

    def _better(self, candidate: str, current: str) -> bool:
        new, old = self._routes[candidate].rtt, self._routes[current].rtt
        if new is None or old is None or candidate == current:
            return False
        return new < old * BETTER_RATIO and old - new >= BETTER_MARGIN

    def _route(self, route: str) -> _Route:
        try:
            return self._routes[route]
        except KeyError:
            raise ValueError(f"{route} is not one of this peer's routes") from None
