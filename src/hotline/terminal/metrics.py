"""Prometheus metrics of one terminal, and its health: ``[metrics] listen`` (docs/operations.md).

:class:`TerminalMetrics` holds a registry of its own (never the library's global
one: two terminals in one process, as in the tests and the demo, must not share
figures). Two kinds of figures live in it:

* **counters and a histogram** that the daemon bumps as things happen: receipts
  received, the delivery latency (from "the message is durable here" to "its
  verified receipt is durable here", the same interval as
  :class:`~hotline.terminal.core.tracker.DeliveryTracker`), link-test results by
  outcome, and refused connections;
* **gauges read at scrape time** from the terminal's own status, so they are never
  stale: each peer's queue depth, line state and route states, alarms open, and
  acknowledgements overdue.

:func:`serve_metrics` serves ``/metrics``, ``/healthz`` (the process answers: 200)
and ``/readyz`` (the store takes a write and at least one peer's line is up:
200, else 503 with the reason) on its own listener, apart from the console, so
that a monitoring network never reaches the operators' pages.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from hotline.terminal.core.line import LinkTestResult, TerminalStatus
from hotline.utc import format_utc

if TYPE_CHECKING:
    from hotline.terminal.daemon import Terminal

__all__ = [
    "LINE_STATES",
    "METRICS_CONTENT_TYPE",
    "ROUTE_STATES",
    "TerminalMetrics",
    "readiness",
    "serve_metrics",
]

log = logging.getLogger("hotline.terminal.metrics")

#: What a peer's line may be (PeerStatus.state), one series each, 1 for the current one.
LINE_STATES = ("up", "degraded", "down")
#: What a route may be (RouteStatus.state).
ROUTE_STATES = ("up", "silent", "down")
#: The text exposition format, version 0.0.4.
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
#: Delivery latency buckets (seconds): a LAN delivers in milliseconds, a bad satellite
#: route in seconds, a line that was down in minutes.
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900)


class TerminalMetrics:
    """One terminal's figures; ``status`` and ``overdue`` are read at each scrape."""

    def __init__(self, *, status: Callable[[], TerminalStatus], overdue: Callable[[], int]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.receipts = Counter(
            "hotline_receipts",
            "Verified receipts received for messages this terminal sent.",
            registry=self.registry,
        )
        self.delivery_latency = Histogram(
            "hotline_delivery_latency_seconds",
            "From a message being durable here to its verified receipt being durable here.",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.link_tests = Counter(
            "hotline_link_tests",
            "Route tests finished, by peer, route and outcome (passed or missed).",
            ["peer", "route", "outcome"],
            registry=self.registry,
        )
        self.refused_connections = Counter(
            "hotline_refused_connections",
            "Incoming connections refused (no known peer's certificate, wrong route, …).",
            registry=self.registry,
        )
        self.registry.register(_StateCollector(status, overdue))

    def delivered(self, receipts: int, latencies: list[float]) -> None:
        """``receipts`` verified receipts committed now; the latencies (seconds) known of them."""
        self.receipts.inc(receipts)
        for seconds in latencies:
            self.delivery_latency.observe(seconds)

    def link_test(self, result: LinkTestResult) -> None:
        outcome = "passed" if result.ok else "missed"
        self.link_tests.labels(peer=result.peer, route=result.route, outcome=outcome).inc()

    def refused(self) -> None:
        self.refused_connections.inc()

    def exposition(self) -> bytes:
        """The registry in the Prometheus text format."""
        return generate_latest(self.registry)


class _StateCollector(Collector):
    """Gauges computed from the terminal's status when scraped (on the loop's thread)."""

    def __init__(self, status: Callable[[], TerminalStatus], overdue: Callable[[], int]) -> None:
        self._status = status
        self._overdue = overdue

    def describe(self) -> Iterator[Metric]:
        # Described without reading the terminal: registering must not touch the store.
        return iter(self._families())

    def collect(self) -> Iterator[Metric]:
        status = self._status()
        queue, line, route, rtt, alarms, overdue = self._families()
        for peer in status.peers:
            queue.add_metric([peer.party], peer.queued)
            for state in LINE_STATES:
                line.add_metric([peer.party, state], 1.0 if peer.state == state else 0.0)
            for r in peer.routes:
                for state in ROUTE_STATES:
                    route.add_metric(
                        [peer.party, r.address, state], 1.0 if r.state == state else 0.0
                    )
                if r.rtt_ms is not None:
                    rtt.add_metric([peer.party, r.address], r.rtt_ms / 1000.0)
        alarms.add_metric([], len(status.alarms))
        overdue.add_metric([], self._overdue())
        yield from (queue, line, route, rtt, alarms, overdue)

    @staticmethod
    def _families() -> tuple[GaugeMetricFamily, ...]:
        return (
            GaugeMetricFamily(
                "hotline_queue_depth",
                "Messages to this peer not yet receipted.",
                labels=["peer"],
            ),
            GaugeMetricFamily(
                "hotline_line_state",
                "1 for the peer line's current state (up, degraded, down), 0 for the others.",
                labels=["peer", "state"],
            ),
            GaugeMetricFamily(
                "hotline_route_state",
                "1 for the route's current state (up, silent, down), 0 for the others.",
                labels=["peer", "route", "state"],
            ),
            GaugeMetricFamily(
                "hotline_route_rtt_seconds",
                "The route's last measured round-trip time.",
                labels=["peer", "route"],
            ),
            GaugeMetricFamily("hotline_alarms_open", "Alarms raised and not yet cleared."),
            GaugeMetricFamily(
                "hotline_acknowledgements_overdue",
                "Messages (either direction) past their acknowledgement deadline, unacknowledged.",
            ),
        )


class _ProbeRolledBack(Exception):
    """Raised inside the readiness probe's transaction so that it is rolled back."""


def readiness(terminal: Terminal) -> str | None:
    """None if the terminal is ready; else why not (for ``/readyz``'s 503 body)."""
    if terminal.store_closed:
        return "the store is closed"
    try:
        # A real write (the journal's triggers and the write lock included), rolled back.
        with terminal.store.transaction():
            terminal.store.append_journal(
                kind="readiness probe", at=format_utc(terminal.clock.now()), data={}
            )
            raise _ProbeRolledBack
    except _ProbeRolledBack:
        pass
    except Exception as exc:  # any failure to write is the answer, not a crash
        return f"the store does not take a write: {exc}"
    peers = terminal.status().peers
    if not peers:
        return "no peers added"
    if not any(peer.state != "down" for peer in peers):
        return "no peer's line is up: " + ", ".join(f"{p.party} down" for p in peers)
    return None


async def serve_metrics(terminal: Terminal, started: asyncio.Event) -> None:
    """Serve /metrics, /healthz and /readyz on ``[metrics] listen`` until cancelled."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, Response
    from starlette.routing import Route

    from hotline.terminal.control import listen_tcp, serve_uvicorn

    address = terminal.settings.metrics
    assert address is not None, "serve_metrics is started only with [metrics] listen set"

    async def metrics(request: Request) -> Response:
        return Response(terminal.metrics.exposition(), media_type=METRICS_CONTENT_TYPE)

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("alive\n")

    async def readyz(request: Request) -> Response:
        reason = readiness(terminal)
        if reason is None:
            return PlainTextResponse("ready\n")
        return PlainTextResponse(f"not ready: {reason}\n", status_code=503)

    app = Starlette(
        routes=[
            Route("/metrics", metrics),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
        ]
    )
    listener = listen_tcp(address, what="the metrics listener")
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        server_header=False,
        timeout_graceful_shutdown=1,
    )
    try:
        await serve_uvicorn(
            config,
            started,
            what=f"the metrics listener on {address}",
            sockets=[listener],
            on_started=lambda: log.info("metrics on http://%s/metrics", address),
        )
    finally:
        listener.close()
