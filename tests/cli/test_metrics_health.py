"""Prometheus metrics and health checks of real ``hotline run`` processes (``[metrics] listen``).

Washington is made with ``hotline init --metrics``; the test scrapes its
``/metrics`` with the Prometheus text parser, as a Prometheus server would, and
watches the figures move as messages flow, a route test runs and a stranger's
connection is refused. ``/healthz`` answers while the process lives; ``/readyz``
says 503, with the reason, until a peer's line is up.
"""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from hotline.terminal import ControlClient

from .helpers import TerminalProcess, free_port, hotline, wait_for


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _scrape(address: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample: (name, sorted labels) -> value."""
    status, text = _get(f"http://{address}/metrics")
    assert status == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[tuple[TerminalProcess, TerminalProcess, str, int]]:
    """Washington (with metrics) and Moscow, paired, not yet running; the metrics address and
    Washington's peer port."""
    metrics, port = f"127.0.0.1:{free_port()}", free_port()
    dirs = {party: tmp_path / party.lower() for party in ("Washington", "Moscow")}
    hotline("init", dirs["Washington"], "--unprotected-keys", "--party", "Washington", "--listen",
            f"127.0.0.1:{port}", "--metrics", metrics)  # fmt: skip
    hotline(
        "init",
        dirs["Moscow"],
        "--unprotected-keys",
        "--party",
        "Moscow",
        "--listen",
        f"127.0.0.1:{free_port()}",
    )
    hotline("peer", "add", dirs["Washington"], "-", stdin=hotline("card", dirs["Moscow"]).stdout)
    hotline("peer", "add", dirs["Moscow"], "-", stdin=hotline("card", dirs["Washington"]).stdout)
    terminals = (TerminalProcess(dirs["Washington"]), TerminalProcess(dirs["Moscow"]))
    yield (*terminals, metrics, port)
    for terminal in terminals:
        terminal.stop()


def test_metrics_and_health_move_as_the_line_works(
    watched: tuple[TerminalProcess, TerminalProcess, str, int],
) -> None:
    washington, moscow, address, port = watched
    washington.start()
    assert _get(f"http://{address}/healthz") == (200, "alive\n")
    status, body = _get(f"http://{address}/readyz")
    assert status == 503
    assert "no peer's line is up: Moscow down" in body
    before = _scrape(address)
    assert before[("hotline_line_state", (("peer", "Moscow"), ("state", "down")))] == 1
    assert before[("hotline_receipts_total", ())] == 0

    moscow.start()
    wait_for(lambda: _get(f"http://{address}/readyz")[0] == 200, what="/readyz to say ready")
    with ControlClient(washington.directory) as client:
        for n in range(3):
            message_id = client.send(to="Moscow", text=f"scrape me {n}")["id"]
            assert client.wait_delivered(message_id)["state"] == "delivered"
    hotline("test", washington.directory)

    # A stranger's connection: no certificate at all, so the handshake fails.
    with socket.create_connection(("127.0.0.1", port), timeout=5) as stranger:
        stranger.sendall(b"GET / HTTP/1.0\r\n\r\n")
        stranger.recv(100)

    def settled() -> bool:
        figures = _scrape(address)
        return figures.get(("hotline_refused_connections_total", ()), 0) >= 1 and any(
            name == "hotline_link_tests_total" and ("outcome", "passed") in labels
            for name, labels in figures
        )

    wait_for(settled, what="the refusal and the route test to be counted")
    after = _scrape(address)
    assert after[("hotline_line_state", (("peer", "Moscow"), ("state", "up")))] == 1
    assert after[("hotline_line_state", (("peer", "Moscow"), ("state", "down")))] == 0
    route_up = [
        value
        for (name, labels), value in after.items()
        if name == "hotline_route_state" and ("state", "up") in labels
    ]
    assert route_up == [1]
    assert after[("hotline_queue_depth", (("peer", "Moscow"),))] == 0
    assert after[("hotline_receipts_total", ())] == 3
    assert after[("hotline_delivery_latency_seconds_count", ())] == 3
    assert after[("hotline_delivery_latency_seconds_sum", ())] > 0
    assert after[("hotline_alarms_open", ())] == 0
    assert after[("hotline_acknowledgements_overdue", ())] == 0
    passed = [
        value
        for (name, labels), value in after.items()
        if name == "hotline_link_tests_total" and ("outcome", "passed") in labels
    ]
    assert passed == [1]

    # Moscow goes away: its messages queue, the line goes down, readiness goes with it.
    moscow.stop()
    with ControlClient(washington.directory) as client:
        client.send(to="Moscow", text="waits in the queue")
    wait_for(lambda: _get(f"http://{address}/readyz")[0] == 503, what="/readyz to say 503")
    down = _scrape(address)
    assert down[("hotline_queue_depth", (("peer", "Moscow"),))] == 1
    assert down[("hotline_line_state", (("peer", "Moscow"), ("state", "down")))] == 1
