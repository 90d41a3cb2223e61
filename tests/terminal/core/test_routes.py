"""Two terminals joined by two routes that a test can cut: failover, link tests, alarms.

Each route of the listening side's card goes through a :class:`RouteProxy`
on loopback, which the test cuts silently (no reset, no FIN), as a cable cut
would: only heartbeats can tell. Everything else is the real daemon: TLS,
sessions, stores, the failover policy, link tests, alarms and the hook. The
tests run on virtual time (:func:`hotline.testing.run_virtual`), so heartbeats,
dead windows and link-test schedules keep their protocol timing on any machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hotline.store import Direction, MessageState
from hotline.terminal import Terminal, load_settings
from hotline.terminal.config import AlarmSettings, CallSettings, LinkSettings
from hotline.terminal.config.settings import render_settings
from hotline.testing import RouteProxy, run_virtual, virtual_clock
from tests.terminal.helpers import add_peer, card_of, make_pair, wait_until

#: Heartbeats every 50 ms: a route is silent after 0.1 s and dead after 0.15 s.
LINK = LinkSettings(
    heartbeat_interval=0.05,
    dead_after=3,
    reconnect_initial=0.02,
    reconnect_cap=0.2,
    test_interval=3600,
    test_deadline=1.0,
)


@dataclass
class Line:
    """Washington (dials) and Moscow (listens), two proxied routes between them."""

    washington: Terminal
    moscow: Terminal
    proxies: list[RouteProxy]
    washington_dir: Path
    moscow_dir: Path

    def route(self, index: int) -> str:
        """Route ``index`` as Washington names it (the proxy's address)."""
        return self.proxies[index].address

    def carrying(self, terminal: Terminal, party: str) -> str | None:
        carrier = terminal.lines[party].carrier
        return carrier.route if carrier else None

    def state(self, terminal: Terminal, party: str) -> str:
        """The line's state as the daemon's supervisor last judged it (every heartbeat / 5).

        Not ``status()``: that also computes the card's fingerprint, costly
        enough that polling it every 10 ms of virtual time dominates a test.
        """
        return str(terminal.lines[party].state)


@contextlib.asynccontextmanager
async def two_routes(
    tmp_path: Path,
    *,
    link: LinkSettings = LINK,
    hook: str = "",
    calls: CallSettings | None = None,
    route_down_after: float = 300.0,
) -> AsyncIterator[Line]:
    washington_dir, moscow_dir = make_pair(tmp_path, link=link, introduce=False, routes=2)
    for directory in (washington_dir, moscow_dir):
        config = directory / "hotline.toml"
        settings = dataclasses.replace(
            load_settings(config),
            alarms=AlarmSettings(hook=hook, route_down_after=route_down_after),
            calls=calls or CallSettings(),
        )
        config.write_text(render_settings(settings), encoding="utf-8")
    moscow_listen = load_settings(moscow_dir / "hotline.toml").listen
    proxies = [await RouteProxy(route).start() for route in moscow_listen]
    # Washington gets a card of Moscow's whose routes are the proxies.
    proxied = card_of(moscow_dir, routes=[p.address for p in proxies])
    add_peer(washington_dir, proxied)
    add_peer(moscow_dir, card_of(washington_dir))
    washington = Terminal.open(washington_dir, clock=virtual_clock())
    moscow = Terminal.open(moscow_dir, clock=virtual_clock())
    await washington.start()
    await moscow.start()
    try:
        yield Line(washington, moscow, proxies, washington_dir, moscow_dir)
    finally:
        await washington.stop()
        await moscow.stop()
        for proxy in proxies:
            await proxy.aclose()


def both_up(line: Line) -> bool:
    return (
        line.state(line.washington, "Moscow") == "up"
        and line.state(line.moscow, "Washington") == "up"
    )


def received(terminal: Terminal, party: str) -> list[str]:
    return [
        m.text
        for m in terminal.store.iter_messages(peer=party, direction=Direction.IN)
        if m.kind == "text"
    ]


def journal(terminal: Terminal, kind: str) -> list[dict[str, object]]:
    return [dict(e.data) for e in terminal.store.iter_journal() if e.kind == kind]


def test_every_route_gets_a_session_and_exactly_one_carries(tmp_path: Path) -> None:
    async def main() -> None:
        async with two_routes(tmp_path) as line:
            await wait_until(lambda: both_up(line), what="both routes up on both sides")
            for terminal, party in ((line.washington, "Moscow"), (line.moscow, "Washington")):
                [peer] = terminal.status().peers
                assert peer.state == "up"
                assert [r.state for r in peer.routes] == ["up", "up"]
                assert sum(r.active for r in peer.routes) == 1
                assert peer.address == line.carrying(terminal, party)
            # Washington names the routes by the card it holds (the proxies).
            assert [r.address for r in line.washington.status().peers[0].routes] == [
                line.route(0),
                line.route(1),
            ]
            # Round-trip times are measured per route from heartbeat echoes.
            await wait_until(
                lambda: all(r.rtt_ms is not None for r in line.washington.status().peers[0].routes),
                what="RTT on both routes",
            )

    run_virtual(main())


def test_cutting_the_carrying_route_moves_traffic_with_nothing_lost(
    tmp_path: Path,
) -> None:
    async def main() -> None:
        async with two_routes(tmp_path) as line:
            await wait_until(lambda: both_up(line), what="both routes up")
            first = line.carrying(line.washington, "Moscow")
            assert first is not None
            index = [p.address for p in line.proxies].index(first)
            sent = 0
            for _ in range(10):
                for n in range(20):
                    line.washington.send_text(to="Moscow", text=f"W {sent + n:04d}")
                    line.moscow.send_text(to="Washington", text=f"M {sent + n:04d}")
                sent += 20
                await asyncio.sleep(0.02)
            await wait_until(lambda: len(received(line.moscow, "Washington")) == sent)
            loop = asyncio.get_running_loop()
            cut_at = loop.time()
            line.proxies[index].cut()
            # The first message after the cut goes out on the dead route and must
            # arrive over the other one.
            line.washington.send_text(to="Moscow", text=f"W {sent:04d}")
            line.moscow.send_text(to="Washington", text=f"M {sent:04d}")
            sent += 1
            await wait_until(
                lambda: len(received(line.moscow, "Washington")) == sent,
                what="the first message after the cut",
            )
            failover = loop.time() - cut_at
            for _ in range(10):
                for n in range(20):
                    line.washington.send_text(to="Moscow", text=f"W {sent + n:04d}")
                    line.moscow.send_text(to="Washington", text=f"M {sent + n:04d}")
                sent += 20
                await asyncio.sleep(0.02)
            await wait_until(
                lambda: (
                    len(received(line.moscow, "Washington")) == sent
                    and len(received(line.washington, "Moscow")) == sent
                ),
                what="every message both ways",
            )
            await wait_until(
                lambda: (
                    line.washington.store.count_pending("Moscow") == 0
                    and line.moscow.store.count_pending("Washington") == 0
                ),
                what="every receipt back",
            )
            # Exactly once, in serial order, both ways; every outgoing one receipted.
            assert received(line.moscow, "Washington") == [f"W {n:04d}" for n in range(sent)]
            assert received(line.washington, "Moscow") == [f"M {n:04d}" for n in range(sent)]
            for terminal, party in ((line.washington, "Moscow"), (line.moscow, "Washington")):
                out = list(terminal.store.iter_messages(peer=party, direction=Direction.OUT))
                assert all(m.state is MessageState.DELIVERED for m in out)
            assert line.carrying(line.washington, "Moscow") == line.route(1 - index)
            changes = journal(line.washington, "route change")
            assert any(c["from"] == first for c in changes)
            assert changes[-1]["to"] == line.route(1 - index)
            # Silence of 0.1 s (two heartbeats) moves traffic, before the route is dead.
            assert failover <= LINK.heartbeat_interval * LINK.dead_after, failover
            await wait_until(
                lambda: line.state(line.washington, "Moscow") == "degraded", what="degraded"
            )

    run_virtual(main())


def test_a_route_down_too_long_is_an_alarm_before_any_link_test(tmp_path: Path) -> None:
    """Issue 21, defect 3: a cut route left the line degraded with no alarm for up to an hour."""

    def route_alarms(line: Line) -> list[tuple[str, str | None]]:
        return [
            (a.kind, a.route)
            for a in line.washington.alarms.open_alarms()
            if a.kind == "route-down"
        ]

    async def main() -> None:
        async with two_routes(tmp_path, route_down_after=2.0) as line:
            await wait_until(lambda: both_up(line), what="both routes up")
            line.proxies[0].cut()
            await wait_until(
                lambda: line.state(line.washington, "Moscow") == "degraded", what="degraded"
            )
            assert route_alarms(line) == []  # not yet: down for less than route_down_after
            await wait_until(lambda: route_alarms(line) != [], what="the route-down alarm")
            assert route_alarms(line) == [("route-down", line.route(0))]
            [alarm] = [a for a in line.washington.alarms.open_alarms() if a.kind == "route-down"]
            assert "down for" in alarm.detail
            assert journal(line.washington, "link test sent") == []  # no test was needed
            line.proxies[0].heal()
            await wait_until(lambda: route_alarms(line) == [], what="cleared when the route is up")
            cleared = [
                e for e in journal(line.washington, "alarm cleared") if e["kind"] == "route-down"
            ]
            assert cleared

    run_virtual(main())


def test_link_tests_pass_miss_alarm_both_sides_and_clear(tmp_path: Path) -> None:
    async def main() -> None:
        async with two_routes(tmp_path) as line:
            await wait_until(lambda: both_up(line), what="both routes up")
            results = await line.washington.run_link_tests("Moscow")
            assert [(r.route, r.ok) for r in results] == [
                (line.route(0), True),
                (line.route(1), True),
            ]
            assert all(r.received_at and r.round_trip is not None for r in results)
            assert len(journal(line.moscow, "link test received")) == 2
            # Cut route 0: its test misses after the deadline, route 1's passes.
            line.proxies[0].cut()
            results = await line.washington.run_link_tests("Moscow")
            assert [(r.route, r.ok) for r in results] == [
                (line.route(0), False),
                (line.route(1), True),
            ]
            assert results[0].reason
            [alarm] = line.washington.alarms.open_alarms()
            assert (alarm.kind, alarm.peer, alarm.route) == ("test-missed", "Moscow", line.route(0))
            # Moscow hears of it over route 1, as a receipted alarm message.
            await wait_until(
                lambda: len(line.moscow.alarms.open_alarms()) == 1, what="Moscow's alarm"
            )
            [told] = line.moscow.alarms.open_alarms()
            assert (told.kind, told.peer, told.route) == (
                "peer-test-missed",
                "Washington",
                line.route(0),
            )
            [notice] = [
                m
                for m in line.moscow.store.iter_messages(peer="Washington", direction=Direction.IN)
                if m.kind == "alarm"
            ]
            assert notice.channel == "line"
            assert "LINK TEST MISSED" in notice.text
            status = line.washington.status()
            assert [a.kind for a in status.alarms] == ["test-missed"]
            assert status.peers[0].routes[0].last_test is not None
            assert status.peers[0].routes[0].last_test.ok is False
            # Heal: the route comes back, the next test passes, both alarms clear.
            line.proxies[0].heal()
            await wait_until(lambda: both_up(line), what="route 0 back")
            results = await line.washington.run_link_tests("Moscow")
            assert all(r.ok for r in results)
            assert line.washington.alarms.open_alarms() == []
            assert line.moscow.alarms.open_alarms() == []
            assert [e["kind"] for e in journal(line.washington, "alarm cleared")] == ["test-missed"]
            assert len(journal(line.washington, "link test missed")) == 1
            assert len(journal(line.washington, "link test passed")) == 5

    run_virtual(main())


def test_every_route_cut_is_line_down_on_both_sides_with_the_hook_told(
    tmp_path: Path,
) -> None:
    async def main() -> None:
        hooks = tmp_path / "hooks"
        hooks.mkdir()
        # One file per call: hooks run concurrently.
        hook = f"cat > \"$(mktemp -p '{hooks}' alarm.XXXXXX)\""
        async with two_routes(tmp_path, hook=hook) as line:
            await wait_until(lambda: both_up(line), what="both routes up")
            for proxy in line.proxies:
                proxy.cut()
            await wait_until(
                lambda: (
                    line.state(line.washington, "Moscow") == "down"
                    and line.state(line.moscow, "Washington") == "down"
                ),
                what="line down on both sides",
            )
            for terminal in (line.washington, line.moscow):
                [alarm] = terminal.alarms.open_alarms()
                assert alarm.kind == "line-down"
                assert alarm.route is None
            # A line that is down is still tested, and the test misses.
            results = await line.washington.run_link_tests("Moscow")
            assert not any(r.ok for r in results)
            assert all("no session" in (r.reason or "") for r in results)
            for proxy in line.proxies:
                proxy.heal()
            await wait_until(lambda: both_up(line), what="line back up")
            await wait_until(
                lambda: (
                    [a.kind for a in line.moscow.alarms.open_alarms()]
                    == ["peer-test-missed", "peer-test-missed"]
                ),
                what="Moscow told of both missed tests",
            )
            assert {a.kind for a in line.washington.alarms.open_alarms()} == {"test-missed"}
            await wait_until(lambda: len(list(hooks.iterdir())) >= 6, what="hook calls")
            for terminal in (line.washington, line.moscow):
                await terminal.alarms.drain(within=5.0)  # every hook started has written
        events = [json.loads(path.read_text()) for path in hooks.iterdir()]
        seen = {(e["event"], e["kind"]) for e in events}
        assert ("raised", "line-down") in seen
        assert ("cleared", "line-down") in seen
        assert ("raised", "test-missed") in seen
        assert all({"id", "peer", "since", "detail", "route"} <= set(e) for e in events)

    run_virtual(main())


def test_scheduled_tests_alternate_between_the_two_sides(tmp_path: Path) -> None:
    async def main() -> None:
        link = dataclasses.replace(LINK, test_interval=1.0, test_deadline=0.9)
        async with two_routes(tmp_path, link=link) as line:
            await wait_until(
                lambda: (
                    len(journal(line.washington, "link test passed")) >= 4
                    and len(journal(line.moscow, "link test passed")) >= 4
                ),
                within=15,
                what="two scheduled test runs on each side",
            )
            # Washington's key sorts first (it dials): it tests in even slots, Moscow in odd.
            washington_slots = {e["slot"] for e in journal(line.washington, "link test sent")}
            moscow_slots = {e["slot"] for e in journal(line.moscow, "link test sent")}
        assert washington_slots
        assert moscow_slots
        assert all(isinstance(s, int) and s % 2 == 0 for s in washington_slots)
        assert all(isinstance(s, int) and s % 2 == 1 for s in moscow_slots)

    run_virtual(main())


@pytest.mark.parametrize("hook", ["exit 3", "sleep 5"])
def test_a_failing_or_hanging_hook_is_journaled_and_never_blocks(tmp_path: Path, hook: str) -> None:
    async def main() -> None:
        washington_dir, _ = make_pair(tmp_path, link=LINK)
        config = washington_dir / "hotline.toml"
        settings = dataclasses.replace(
            load_settings(config), alarms=AlarmSettings(hook=hook, hook_timeout=0.5)
        )
        config.write_text(render_settings(settings), encoding="utf-8")
        terminal = Terminal.open(washington_dir, clock=virtual_clock())
        await terminal.start()  # Moscow never runs
        try:
            terminal.alarms.raise_alarm(kind="line-down", peer="Moscow", route=None, detail="test")
            # Raising never waits for the hook: it returns before the hook has run.
            assert journal(terminal, "alarm hook failed") == []
            await wait_until(
                lambda: len(journal(terminal, "alarm hook failed")) == 1,
                what="hook failure journaled",
            )
            [failure] = journal(terminal, "alarm hook failed")
            assert "exit status 3" in str(failure["error"]) or "killed after 0.5 s" in str(
                failure["error"]
            )
        finally:
            await terminal.stop()

    run_virtual(main())
