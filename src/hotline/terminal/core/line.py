"""What the daemon holds for one peer: its routes, their sessions, and which one carries.

A peer's *line* is every route between the two terminals. The routes are the
listening side's card routes (the party whose signing key sorts first dials
the other, docs/protocol/delivery.md section 4), so both terminals name each
route by the same address. Per route there is at most one live session; the
:class:`~hotline.link.FailoverPolicy` picks the one that carries the peer's
messages (the *carrier*), and the others stand by, exchanging heartbeats and
link tests, ready to take over.

This module also holds the status snapshot types (:class:`PeerStatus`,
:class:`RouteStatus`, :class:`TerminalStatus`) that ``hotline status`` and the
console show.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from hotline.link import FailoverPolicy, LineState
from hotline.store import AlarmRecord, MessageRecord, PeerRecord
from hotline.terminal.config.settings import LinkSettings
from hotline.terminal.core.session import Session
from hotline.utc import parse_utc

__all__ = [
    "LinkTestResult",
    "IN_USE_WINDOW",
    "RTT_SAMPLES",
    "RTT_SAMPLE_EVERY",
    "PeerLine",
    "PeerStatus",
    "RouteLine",
    "RouteStatus",
    "TerminalStatus",
]

#: A line counts as "in use" if a message went either way within this window.
IN_USE_WINDOW = timedelta(minutes=5)
#: Round-trip samples kept per route for the console's sparkline: one every
#: RTT_SAMPLE_EVERY seconds over the last hour.
RTT_SAMPLE_EVERY = 10.0
RTT_SAMPLES = 360


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkTestResult:
    """How one route's test ended."""

    peer: str
    route: str
    id: str
    slot: int
    text_id: str
    sent_at: str
    ok: bool
    #: When the result was known (receipt checked, or the deadline passed).
    at: str
    #: Seconds from the first send to the receipt, for a test that passed.
    round_trip: float | None
    #: The receipt's received-at time, for a test that passed.
    received_at: str | None
    #: Why it missed, for a test that did not pass.
    reason: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "peer": self.peer,
            "route": self.route,
            "slot": self.slot,
            "text_id": self.text_id,
            "sent_at": self.sent_at,
            "at": self.at,
            "ok": self.ok,
            "rtt_ms": None if self.round_trip is None else round(self.round_trip * 1000, 1),
            "received_at": self.received_at,
            "reason": self.reason,
        }


@dataclass(slots=True)
class RouteLine:
    """One route to a peer."""

    address: str
    session: Session | None = None
    dialer: asyncio.Task[None] | None = None
    last_error: str | None = None
    last_test: LinkTestResult | None = None
    #: When the peer's own link test last arrived on this route (UTC text), None before one.
    peer_tested_at: str | None = None
    #: (UTC epoch seconds, smoothed RTT in ms or None when down), newest last.
    rtt_history: deque[tuple[float, float | None]] = field(
        default_factory=lambda: deque(maxlen=RTT_SAMPLES)
    )

    @property
    def live(self) -> Session | None:
        """The route's session if it is open (hello exchanged), else None."""
        if self.session is not None and self.session.opened:
            return self.session
        return None


@dataclass(slots=True)
class PeerLine:
    """What the daemon holds for one peer."""

    peer: PeerRecord
    we_dial: bool
    policy: FailoverPolicy
    routes: dict[str, RouteLine]
    #: The session that carries the peer's messages now, if any.
    carrier: Session | None = None
    state: LineState = LineState.DOWN
    #: True once any route has opened a session since the terminal started.
    ever_up: bool = False
    last_contact: str | None = None
    #: UTC time of the last message queued, sent or received with this peer.
    last_used: str | None = None
    #: Link tests waiting for their receipt: test id -> future receipt bytes.
    pending_tests: dict[str, asyncio.Future[bytes]] = field(default_factory=dict)

    @classmethod
    def create(
        cls, *, peer: PeerRecord, our_routes: tuple[str, ...], our_key: bytes, link: LinkSettings
    ) -> PeerLine:
        we_dial = our_key < peer.signing_key
        routes = peer.routes if we_dial else our_routes
        policy = FailoverPolicy(
            routes=routes,
            heartbeat_interval=link.heartbeat_interval,
            dead_after=link.dead_after,
            reconnect_initial=link.reconnect_initial,
            reconnect_cap=link.reconnect_cap,
        )
        return cls(
            peer=peer,
            we_dial=we_dial,
            policy=policy,
            routes={address: RouteLine(address=address) for address in routes},
        )

    def adopt(self, peer: PeerRecord, our_routes: tuple[str, ...]) -> list[RouteLine]:
        """Take a refreshed card; return the route lines that are no longer routes."""
        self.peer = peer
        routes = peer.routes if self.we_dial else our_routes
        self.policy.set_routes(routes)
        gone = [line for address, line in self.routes.items() if address not in routes]
        self.routes = {a: self.routes.get(a) or RouteLine(address=a) for a in routes}
        return gone

    @property
    def party(self) -> str:
        return self.peer.party

    def wake(self) -> None:
        """A message was queued for this peer: wake the carrying session's pump, if any."""
        if self.carrier is not None:
            self.carrier.wake()

    def offer(self, record: MessageRecord) -> None:
        """A message for this peer was just stored: the carrying session sends it or queues it."""
        if self.carrier is not None:
            self.carrier.offer(record)

    def sessions(self) -> list[Session]:
        return [r.session for r in self.routes.values() if r.session is not None]

    def in_use(self, now: datetime) -> bool:
        return self.last_used is not None and now - parse_utc(self.last_used) <= IN_USE_WINDOW


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteStatus:
    address: str
    state: str  # "up" | "silent" | "down"
    active: bool
    rtt_ms: float | None
    last_test: LinkTestResult | None
    last_error: str | None
    #: The last hour of (UTC epoch seconds, RTT ms or None), oldest first.
    rtt_history: tuple[tuple[float, float | None], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class PeerStatus:
    party: str
    state: str  # "up" (every route) | "degraded" (some) | "down" (none)
    last_contact: str | None
    queued: int
    #: The route carrying traffic now, if any.
    address: str | None
    last_error: str | None
    in_use: bool
    last_used: str | None
    routes: tuple[RouteStatus, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class TerminalStatus:
    party: str
    fingerprint: str
    listen: tuple[str, ...]
    peers: tuple[PeerStatus, ...]
    alarms: tuple[AlarmRecord, ...]
    #: "not asked", "CPUs held awake (...)", or why they could not be held.
    cpu_wake: str
    #: "sealed" (under a passphrase) or "unprotected" (raw on disk): docs/keys.md.
    keys: str = "sealed"
    #: Where the signing key lives: "software key", or "token LABEL" (a PKCS#11 token).
    signing_key: str = "software key"
