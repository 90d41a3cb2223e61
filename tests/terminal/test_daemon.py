"""Two in-process terminals over real TLS on 127.0.0.1: status, queueing, redial, peers, lock.

Washington's signing key sorts below Moscow's in every test here, so
Washington dials and Moscow listens (docs/protocol/session.md, "Who dials").
Link settings are fast (``helpers.FAST_LINK``): redials back off 20 ms to
200 ms, a silent line is dead after 150 ms.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import shutil
import signal
import socket
import warnings
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hotline.crypto import Precedence
from hotline.errors import ConfigError, DaemonError, LinkError, UnknownMessage, UnknownPeer
from hotline.store import Direction, MessageState
from hotline.terminal import (
    ControlClient,
    PeerStatus,
    Terminal,
    TerminalPaths,
    load_settings,
    run_terminal,
    verify_store,
)
from hotline.testing import run_virtual, virtual_clock

from .helpers import card_of, make_pair, make_terminal, refusals, wait_until


@contextlib.asynccontextmanager
async def running(directory: Path) -> AsyncIterator[Terminal]:
    """A started terminal on the loop's virtual clock, stopped (store closed) on the way out."""
    terminal = Terminal.open(directory, clock=virtual_clock())
    await terminal.start()
    try:
        yield terminal
    finally:
        await terminal.stop()


def peer_status(terminal: Terminal, party: str) -> PeerStatus:
    [status] = [peer for peer in terminal.status().peers if peer.party == party]
    return status


def is_up(terminal: Terminal, party: str) -> bool:
    return peer_status(terminal, party).state == "up"


def received(terminal: Terminal, party: str) -> list[str]:
    records = terminal.store.iter_messages(peer=party, direction=Direction.IN)
    return [record.text for record in records]


def assert_verifies(terminal: Terminal) -> None:
    report = verify_store(terminal.store, terminal.identity)
    assert report.ok, report.summary()


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    """(Washington's directory, Moscow's directory), introduced to each other."""
    return make_pair(tmp_path, dialer="Washington", listener="Moscow")


def test_status_reports_the_line_and_queued_counts(dirs: tuple[Path, Path]) -> None:
    washington_dir, moscow_dir = dirs

    async def main() -> None:
        async with running(moscow_dir) as moscow:
            status = moscow.status()
            assert status.party == "Moscow"
            assert status.fingerprint == card_of(moscow_dir).fingerprint
            assert status.listen == load_settings(moscow_dir / "hotline.toml").listen
            for index in range(3):
                moscow.send_text(to="Washington", text=f"queued {index}")
            down = peer_status(moscow, "Washington")
            assert (down.state, down.queued, down.address, down.last_contact) == (
                "down",
                3,
                None,
                None,
            )
            async with running(washington_dir) as washington:
                await wait_until(lambda: is_up(moscow, "Washington"), what="Moscow sees W up")
                await wait_until(
                    lambda: peer_status(moscow, "Washington").queued == 0, what="queue drained"
                )
                up = peer_status(moscow, "Washington")
                assert up.address is not None
                assert up.address.startswith("127.0.0.1:")
                assert up.last_contact is not None
                assert up.last_error is None
                # Under load a heartbeat can come late: "degraded" for a moment is honest.
                await wait_until(lambda: is_up(washington, "Moscow"), what="W sees Moscow up")
                from_moscow = peer_status(washington, "Moscow")
                assert from_moscow.queued == 0
                assert from_moscow.address == card_of(moscow_dir).routes[0]
                await wait_until(
                    lambda: len(received(washington, "Moscow")) == 3, what="all received"
                )
                assert received(washington, "Moscow") == [f"queued {i}" for i in range(3)]
            # Washington shut down politely: Moscow knows at once why the line is down.
            await wait_until(lambda: not is_up(moscow, "Washington"), what="Moscow sees W down")
            after = peer_status(moscow, "Washington")
            assert after.last_error == "closed by peer: terminal shutting down"
            assert after.last_contact is not None
            assert_verifies(moscow)

    run_virtual(main())


def test_wait_delivered_returns_once_the_verified_receipt_is_stored(
    dirs: tuple[Path, Path],
) -> None:
    washington_dir, moscow_dir = dirs

    async def main() -> None:
        async with running(moscow_dir) as moscow:
            record = moscow.send_text(
                to="Washington", text="wait for me", precedence=Precedence.FLASH
            )
            timed_out = await moscow.wait_delivered(record.id, within=0.05)
            assert timed_out.state is MessageState.QUEUED
            async with running(washington_dir) as washington:
                delivered = await moscow.wait_delivered(record.id, within=10)
                assert delivered.state is MessageState.DELIVERED
                assert delivered.receipt is not None
                # Already delivered, or incoming: answered at once.
                assert (await moscow.wait_delivered(record.id, within=0)).receipt == (
                    delivered.receipt
                )
                held = await washington.wait_delivered(record.id, within=0)
                assert (held.direction, held.precedence) == (Direction.IN, "flash")
            statistics = moscow.tracker.statistics()
            assert (statistics.queued, statistics.delivered, statistics.samples) == (1, 1, 1)
            assert statistics.max_ms > 0
            with pytest.raises(UnknownMessage):
                await moscow.wait_delivered("0" * 32, within=0)

    run_virtual(main())


@pytest.mark.parametrize("restarted", ["Washington", "Moscow"])
def test_messages_sent_while_the_peer_is_down_arrive_in_order_after_its_restart(
    dirs: tuple[Path, Path], restarted: str
) -> None:
    """Whether the dialer (Washington) or the listener (Moscow) was down."""
    washington_dir, moscow_dir = dirs
    directory = {"Washington": washington_dir, "Moscow": moscow_dir}
    sender_party = "Moscow" if restarted == "Washington" else "Washington"

    async def main() -> None:
        async with running(directory[sender_party]) as sender:
            async with running(directory[restarted]) as peer:
                sender.send_text(to=restarted, text="while up")
                await wait_until(lambda: received(peer, sender_party) == ["while up"])
            await wait_until(lambda: not is_up(sender, restarted), what="the line to drop")
            texts = [f"while down {index}" for index in range(5)]
            records = [sender.send_text(to=restarted, text=text) for text in texts]
            assert [r.serial for r in records] == [2, 3, 4, 5, 6]
            assert peer_status(sender, restarted).queued == 5
            assert all(r.state is MessageState.QUEUED for r in records)
            async with running(directory[restarted]) as peer:
                await wait_until(
                    lambda: peer_status(sender, restarted).queued == 0, what="queue drained"
                )
                assert received(peer, sender_party) == ["while up", *texts]
                assert_verifies(peer)
            for record in records:
                stored = sender.store.get_message(record.id)
                assert stored is not None
                assert stored.state is MessageState.DELIVERED
            assert_verifies(sender)

    run_virtual(main())


def test_adding_a_peer_to_a_running_terminal_starts_dialing(tmp_path: Path) -> None:
    washington_dir, moscow_dir = make_pair(tmp_path, introduce=False)

    async def main() -> None:
        async with running(moscow_dir) as moscow, running(washington_dir) as washington:
            assert washington.status().peers == ()
            with pytest.raises(UnknownPeer):
                washington.send_text(to="Moscow", text="too soon")
            added = washington.add_peer(card_of(moscow_dir).to_json())
            assert (added.peer.party, added.new) == ("Moscow", True)
            washington.send_text(to="Moscow", text="hello, Moscow")
            # Washington dials at once; Moscow does not know it yet and refuses it.
            await wait_until(lambda: len(refusals(moscow.store)) > 0, what="Moscow's refusal")
            assert refusals(moscow.store)[0].data["what"] == "connection"
            # The listening side never dials, even for a peer added while running.
            added_back = moscow.add_peer(card_of(washington_dir).to_json())
            assert added_back.new
            assert all(r.dialer is None for r in moscow.lines["Washington"].routes.values())
            # Washington's redial is now accepted, and the queued message goes through.
            await wait_until(lambda: is_up(moscow, "Washington"), what="the line to come up")
            await wait_until(
                lambda: received(moscow, "Washington") == ["hello, Moscow"], what="delivery"
            )
            again = washington.add_peer(card_of(moscow_dir).to_json())
            assert not again.new  # a refresh, not a second peer
            assert [p.party for p in washington.status().peers] == ["Moscow"]

    run_virtual(main())


def test_run_terminal_closes_its_control_socket_on_sigterm(tmp_path: Path) -> None:
    directory = make_terminal(tmp_path / "moscow", "Moscow")

    async def main() -> None:
        ready = asyncio.Event()
        task = asyncio.create_task(run_terminal(directory, ready=ready))
        await asyncio.wait_for(ready.wait(), 10)
        os.kill(os.getpid(), signal.SIGTERM)  # run_terminal's own handler takes it
        await asyncio.wait_for(task, 10)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        asyncio.run(main())
        gc.collect()
    assert not TerminalPaths(directory).control_socket.exists()
    leaked = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert leaked == []


@pytest.mark.usefixtures("control_socket_leak")
def test_second_daemon_on_the_same_directory_is_refused(tmp_path: Path) -> None:
    directory = make_terminal(tmp_path / "moscow", "Moscow")
    paths = TerminalPaths(directory)

    async def main() -> None:
        ready = asyncio.Event()
        first = asyncio.create_task(run_terminal(directory, ready=ready))
        await asyncio.wait_for(ready.wait(), 10)
        assert paths.lock.read_text() == f"{os.getpid()}\n"
        with pytest.raises(DaemonError, match="already running"):
            await run_terminal(directory)
        # The refused second daemon disturbed nothing: the first still answers.
        status = await asyncio.to_thread(ControlClient(directory).status)
        assert status["party"] == "Moscow"
        first.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await first
        assert not paths.control_socket.exists()
        # The lock went with the first daemon: a new one starts.
        ready = asyncio.Event()
        third = asyncio.create_task(run_terminal(directory, ready=ready))
        await asyncio.wait_for(ready.wait(), 10)
        third.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await third

    asyncio.run(main())


@pytest.mark.usefixtures("control_socket_leak")
def test_listen_address_in_use_is_a_config_error(tmp_path: Path) -> None:
    directory = make_terminal(tmp_path / "moscow", "Moscow")
    host, port = load_settings(directory / "hotline.toml").listen[0].rsplit(":", 1)

    async def main() -> None:
        with socket.socket() as squatter:
            squatter.bind((host, int(port)))
            squatter.listen()
            terminal = Terminal.open(directory)
            try:
                with pytest.raises(LinkError, match="cannot listen"):
                    await terminal.start()
            finally:
                await terminal.stop()
            with pytest.raises(ConfigError, match="cannot listen"):
                await run_terminal(directory)
        # Nothing was left locked: the directory can be run again.
        ready = asyncio.Event()
        task = asyncio.create_task(run_terminal(directory, ready=ready))
        await asyncio.wait_for(ready.wait(), 10)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(main())


def test_heavy_two_way_traffic_never_stalls(dirs: tuple[Path, Path]) -> None:
    """Both sides flood each other with large messages at once (regression: both readers
    used to block writing receipts the other was not reading, for ever, with the line "up")."""
    washington_dir, moscow_dir = dirs
    count, text = 500, "x" * 60_000

    async def main() -> None:
        async with running(washington_dir) as washington, running(moscow_dir) as moscow:
            for _ in range(count):
                washington.send_text(to="Moscow", text=text)
                moscow.send_text(to="Washington", text=text)
            await wait_until(
                lambda: (
                    peer_status(washington, "Moscow").queued == 0
                    and peer_status(moscow, "Washington").queued == 0
                ),
                within=60,
                what="both floods delivered",
            )
            assert len(received(moscow, "Washington")) == count
            assert len(received(washington, "Moscow")) == count
            assert_verifies(washington)
            assert_verifies(moscow)

    run_virtual(main())


def test_a_peer_restored_from_an_old_backup_gets_its_lost_messages_again(
    dirs: tuple[Path, Path],
) -> None:
    """Moscow loses messages it had receipted (its store is put back to an older copy).

    Washington holds those receipts, so nothing is pending; without a replay every new
    message would wait for ever behind the gap. Washington notices the rewind in
    Moscow's RESUME, journals it, and resends from there."""
    washington_dir, moscow_dir = dirs
    backup = moscow_dir.parent / "moscow-backup.db"
    shutil.copyfile(moscow_dir / "hotline.db", backup)

    async def main() -> None:
        async with running(washington_dir) as washington:
            async with running(moscow_dir) as moscow:
                for text in ("one", "two", "three"):
                    washington.send_text(to="Moscow", text=text)
                await wait_until(lambda: peer_status(washington, "Moscow").queued == 0)
                assert received(moscow, "Washington") == ["one", "two", "three"]
            for suffix in ("", "-wal", "-shm"):
                (moscow_dir / f"hotline.db{suffix}").unlink(missing_ok=True)
            shutil.copyfile(backup, moscow_dir / "hotline.db")
            washington.send_text(to="Moscow", text="four")
            async with running(moscow_dir) as moscow:
                await wait_until(
                    lambda: received(moscow, "Washington") == ["one", "two", "three", "four"],
                    what="the lost messages replayed",
                )
                await wait_until(lambda: peer_status(washington, "Moscow").queued == 0)
                assert_verifies(moscow)
            kinds = [entry.kind for entry in washington.store.iter_journal()]
            assert "peer rewound" in kinds
            assert_verifies(washington)

    run_virtual(main())


def test_refusals_from_one_host_are_journaled_at_most_once_per_interval(tmp_path: Path) -> None:
    """A port scan must flood neither the fsynced journal nor the log (test_logs.py)."""
    from hotline.terminal.daemon import REFUSAL_JOURNAL_INTERVAL
    from hotline.testing import FakeClock

    clock = FakeClock()
    terminal = Terminal.open(make_terminal(tmp_path / "w", "Washington"), clock=clock)
    try:
        for port in range(40000, 40005):
            terminal._refused(f"192.0.2.7:{port}", "TLS handshake failed: unknown ca")
        terminal._refused("192.0.2.8:40000", "TLS handshake failed: unknown ca")
        clock.advance(REFUSAL_JOURNAL_INTERVAL + 1)
        terminal._refused("192.0.2.7:40009", "TLS handshake failed: unknown ca")
        entries = [e.data for e in terminal.store.iter_journal() if e.kind == "refusal"]
    finally:
        terminal.store.close()
    assert [(e["address"], e.get("suppressed_since_last")) for e in entries] == [
        ("192.0.2.7:40000", None),
        ("192.0.2.8:40000", None),
        ("192.0.2.7:40009", 4),
    ]


def test_the_daemon_routes_by_the_registry_never_by_kind() -> None:
    """No comparison in daemon.py reads an envelope's ``kind``: desks are found by the registry."""
    import ast
    import inspect

    from hotline.terminal import daemon

    tree = ast.parse(inspect.getsource(daemon))
    branches = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Compare)
        and any(
            isinstance(part, ast.Attribute) and part.attr == "kind"
            for side in (node.left, *node.comparators)
            for part in ast.walk(side)
        )
    ]
    assert branches == []
    # ... and the check can fail: the old dispatch is caught.
    old = ast.parse("if record.kind == ALARM_MESSAGE_KIND:\n    pass\n")
    assert any(isinstance(node, ast.Compare) for node in ast.walk(old))


def test_the_listening_context_is_built_once_per_set_of_peers(tmp_path: Path) -> None:
    """Issue 21, defect 4: a TLS context was built for every stranger's connection."""
    washington_dir, moscow_dir = make_pair(tmp_path, introduce=False)
    moscow_card = card_of(moscow_dir).to_json()

    async def main() -> None:
        terminal = Terminal.open(washington_dir, clock=virtual_clock())
        try:
            first = terminal._server_context()
            assert terminal._server_context() is first
            terminal.add_peer(moscow_card)
            second = terminal._server_context()
            assert second is not first  # Moscow is trusted from the next connection on
            assert terminal._server_context() is second
        finally:
            terminal.store.close()

    run_virtual(main())
