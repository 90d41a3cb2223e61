"""The virtual-time loop: timers fire in deadline order at once, the clock agrees, real I/O works."""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from hotline.testing import VirtualClock, VirtualTimeLoop, run_virtual, virtual_clock


def test_timers_fire_in_virtual_order_at_their_deadlines() -> None:
    async def main() -> list[tuple[str, float]]:
        loop = asyncio.get_running_loop()
        start = loop.time()
        fired: list[tuple[str, float]] = []
        done = asyncio.Event()

        def record(name: str) -> None:
            fired.append((name, loop.time() - start))

        for name, delay in (("third", 3.0), ("first", 1.0), ("second", 2.0)):
            loop.call_later(delay, record, name)
        loop.call_later(3.5, done.set)
        await done.wait()
        return fired

    assert run_virtual(main()) == [("first", 1.0), ("second", 2.0), ("third", 3.0)]


def test_an_hour_of_sleep_takes_no_real_hour() -> None:
    async def main() -> float:
        loop = asyncio.get_running_loop()
        start = loop.time()
        # Sleeps and timeouts nested and interleaved, as a terminal's tasks are.
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.25)
                ticks += 1

        task = asyncio.create_task(ticker())
        await asyncio.sleep(3600)
        task.cancel()
        assert ticks in (14_399, 14_400)  # the last tick and the end are due together
        return loop.time() - start

    started = time.monotonic()
    assert run_virtual(main()) == 3600
    # A real hour could not pass; a minute is a bound no loaded machine reaches.
    assert time.monotonic() - started < 60


def test_a_timeout_fires_at_its_virtual_deadline() -> None:
    async def main() -> float:
        loop = asyncio.get_running_loop()
        start = loop.time()
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(30):
                await asyncio.Event().wait()
        return loop.time() - start

    assert run_virtual(main()) == 30


def test_the_clock_and_the_loop_agree() -> None:
    start = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        clock = virtual_clock(start)
        assert clock.now() == start
        assert clock.monotonic() == loop.time()
        await asyncio.sleep(90.5)
        assert clock.monotonic() == loop.time()
        assert clock.now() == start + timedelta(seconds=90.5)
        # A clock made later on the same loop reads the same time.
        assert virtual_clock(start).now() == clock.now()
        # Computing takes no virtual time: only waiting moves the clock.
        before = clock.monotonic()
        sum(range(200_000))
        assert clock.monotonic() == before

    run_virtual(main())


def test_a_clock_needs_an_aware_start_and_a_virtual_loop() -> None:
    loop = VirtualTimeLoop()
    try:
        with pytest.raises(ValueError, match="timezone-aware"):
            VirtualClock(loop, datetime(2030, 1, 1))
    finally:
        loop.close()

    async def main() -> None:
        virtual_clock()

    with pytest.raises(RuntimeError, match="VirtualTimeLoop"):
        asyncio.run(main())


def test_real_sockets_progress_while_timers_jump() -> None:
    """A loopback echo answered after a virtual delay, with a fast ticker running beside it."""

    async def main() -> tuple[bytes, float, int]:
        loop = asyncio.get_running_loop()

        async def echo_later(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            line = await reader.readline()
            await asyncio.sleep(5)
            writer.write(line.upper())
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(echo_later, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        task = asyncio.create_task(ticker())
        async with server:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            start = loop.time()
            writer.write(b"hello\n")
            async with asyncio.timeout(10):
                answer = await reader.readline()
            elapsed = loop.time() - start
            writer.close()
            await writer.wait_closed()
        task.cancel()
        return answer, elapsed, ticks

    answer, elapsed, ticks = run_virtual(main())
    assert answer == b"HELLO\n"
    assert elapsed == pytest.approx(5)
    assert ticks >= 499


def test_a_thread_at_work_is_waited_for_in_real_time() -> None:
    # Without the rule, the loop would jump straight to the timeout's deadline.
    async def main() -> str:
        async with asyncio.timeout(30):
            await asyncio.to_thread(time.sleep, 0.05)
        return "finished"

    assert run_virtual(main()) == "finished"


def test_a_child_process_at_work_is_waited_for_in_real_time() -> None:
    async def main() -> int | None:
        async with asyncio.timeout(30):
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-c", "import time; time.sleep(0.2)"
            )
            return await process.wait()

    assert run_virtual(main()) == 0


def test_a_stall_fires_the_timers_due_meanwhile_late_and_together() -> None:
    async def main() -> list[float]:
        loop = asyncio.get_running_loop()
        assert isinstance(loop, VirtualTimeLoop)
        start = loop.time()
        fired: list[float] = []
        for delay in (0.1, 0.2):
            loop.call_later(delay, lambda: fired.append(loop.time() - start))
        loop.stall(1.0)  # as a blocking call would hold a real loop up
        with pytest.raises(ValueError, match="forward"):
            loop.stall(-1)
        await asyncio.sleep(0)
        return fired

    assert run_virtual(main()) == [1.0, 1.0]
