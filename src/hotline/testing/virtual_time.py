"""Virtual time for asyncio tests: timers fire in order, at once, and the clock agrees.

:class:`VirtualTimeLoop` is an asyncio event loop whose ``time()`` is virtual.
When the loop has nothing ready to run and the selector, polled with a zero
timeout, reports no I/O, it does not sleep until its next timer: it moves its
clock to that timer's deadline and runs it. A one-hour ``asyncio.sleep`` ends
at once; ``asyncio.sleep``, ``asyncio.timeout``, ``loop.call_later`` and
everything built on them (session heartbeats, dead-line detection, redial
backoff, the daemon's supervisor, link-test schedules) run in the order their
deadlines say, however loaded the machine is. Time spent computing does not
count: virtual time moves only when the loop would otherwise wait.

Real I/O still works: the loop is a ``SelectorEventLoop`` and polls its
sockets before every jump, so loopback TLS between two terminals in one loop
progresses exactly as it would in real time, only without the waits. Work the
loop cannot see through its selector is waited for in real time, and virtual
time then runs at real speed (never past the next timer): a job in the default
executor (``asyncio.to_thread``, ``getaddrinfo``) and a child process
(``asyncio.create_subprocess_*``) until it exits. Without that rule a hook's
timeout would fire before the hook had a chance to run.

:class:`VirtualClock` reads the loop's time, so it can be handed to a
``Terminal`` (``hotline.terminal.runtime.clock.Clock``: ``now()`` and
``monotonic()``) and the terminal's own timestamps agree with its timers.

In a test, :func:`run_virtual` replaces ``asyncio.run``::

    def test_a_silent_line_is_dead_after_three_heartbeats(tmp_path: Path) -> None:
        async def main() -> None:
            terminal = Terminal.open(directory, clock=virtual_clock())
            await terminal.start()
            await asyncio.sleep(3600)  # an hour of heartbeats, in milliseconds of real time
            ...

        run_virtual(main())

What virtual time cannot do: make a peer in another process or thread
keep pace (its clock is real), or wait for bytes still in flight in the
kernel after the zero-timeout poll found none (loopback delivers within the
sending call, so tests between terminals in one loop are not affected).
"""

from __future__ import annotations

import asyncio
import contextvars
import selectors
import time
from collections.abc import Callable, Coroutine, Mapping
from concurrent.futures import Executor
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar, TypeVarTuple

if TYPE_CHECKING:
    from _typeshed import FileDescriptorLike

__all__ = ["VirtualClock", "VirtualTimeLoop", "run_virtual", "virtual_clock"]

_T = TypeVar("_T")
_Ts = TypeVarTuple("_Ts")

#: Where a VirtualClock's wall clock starts: the same instant as FakeClock's.
DEFAULT_START = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
#: Where the loop's virtual monotonic clock starts (as FakeClock's does).
DEFAULT_MONOTONIC = 1000.0


class _VirtualSelector(selectors.BaseSelector):
    """The loop's real selector, asked with a zero timeout before the clock jumps."""

    def __init__(self, real: selectors.BaseSelector, loop: VirtualTimeLoop) -> None:
        self._real = real
        self._loop = loop

    def register(
        self, fileobj: FileDescriptorLike, events: int, data: Any = None
    ) -> selectors.SelectorKey:
        return self._real.register(fileobj, events, data)

    def unregister(self, fileobj: FileDescriptorLike) -> selectors.SelectorKey:
        return self._real.unregister(fileobj)

    def modify(
        self, fileobj: FileDescriptorLike, events: int, data: Any = None
    ) -> selectors.SelectorKey:
        return self._real.modify(fileobj, events, data)

    def get_key(self, fileobj: FileDescriptorLike) -> selectors.SelectorKey:
        return self._real.get_key(fileobj)

    def get_map(self) -> Mapping[FileDescriptorLike, selectors.SelectorKey]:
        return self._real.get_map()

    def close(self) -> None:
        self._real.close()

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        # The loop asks for ``timeout``: 0 when callbacks are ready, the time to
        # its next timer, or None when it has no timer at all.
        if timeout is not None and timeout <= 0:
            return self._real.select(0)
        ready = self._real.select(0)
        if ready:
            return ready
        if timeout is None or self._loop.outside_work():
            # Waiting on the world (no timer to jump to, or a thread or child
            # process at work): wait as a real loop would, and let virtual time
            # run at real speed meanwhile, never past the next timer.
            started = time.monotonic()
            ready = self._real.select(timeout)
            waited = time.monotonic() - started
            self._loop.advance_to(
                self._loop.time() + (waited if timeout is None else min(waited, timeout))
            )
            return ready
        # Nothing to do before the next timer, and nothing outside the loop to
        # wait for: go there at once.
        self._loop.advance_to(self._loop.time() + timeout)
        return []


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop whose ``time()`` jumps to the next timer when it has nothing else to do."""

    def __init__(self, selector: selectors.BaseSelector | None = None) -> None:
        super().__init__(selector)
        self._virtual = DEFAULT_MONOTONIC
        self._executor_jobs = 0
        self._starting_children = 0
        self._children: set[asyncio.SubprocessTransport] = set()
        self._selector: selectors.BaseSelector = _VirtualSelector(self._selector, self)

    def time(self) -> float:
        return self._virtual

    def advance_to(self, when: float) -> None:
        """Move the clock forward to ``when`` (never backwards)."""
        self._virtual = max(self._virtual, when)

    def stall(self, seconds: float) -> None:
        """Move the clock ``seconds`` on without running anything, as a blocked loop would.

        Every timer that falls due meanwhile fires late, together, on the next
        iteration: what a long fsync or a paused machine does to a real loop.
        """
        if seconds < 0:
            raise ValueError("virtual time only moves forward")
        self.advance_to(self._virtual + seconds)

    def outside_work(self) -> bool:
        """True while a thread or a child process started from this loop is at work."""
        self._children = {child for child in self._children if child.get_returncode() is None}
        return bool(self._executor_jobs or self._starting_children or self._children)

    def run_in_executor(
        self, executor: Executor | None, func: Callable[[*_Ts], _T], *args: *_Ts
    ) -> asyncio.Future[_T]:
        future = super().run_in_executor(executor, func, *args)
        self._executor_jobs += 1
        future.add_done_callback(self._executor_job_done)
        return future

    def _executor_job_done(self, _future: asyncio.Future[Any]) -> None:
        self._executor_jobs -= 1

    async def shutdown_default_executor(self, *args: Any) -> None:
        # asyncio.Runner joins the executor's threads from another thread: wait for it.
        self._executor_jobs += 1
        try:
            await super().shutdown_default_executor(*args)
        finally:
            self._executor_jobs -= 1

    async def _make_subprocess_transport(
        self, *args: Any, **kwargs: Any
    ) -> asyncio.SubprocessTransport:
        # The child exists before the transport is returned; count it from the start.
        self._starting_children += 1
        try:
            # Private to asyncio's Unix loop (absent from typeshed); the one hook on child creation.
            make = super()._make_subprocess_transport  # type: ignore[misc]
            transport: asyncio.SubprocessTransport = await make(*args, **kwargs)
        finally:
            self._starting_children -= 1
        self._children.add(transport)
        return transport


class VirtualClock:
    """A ``Clock`` (now() and monotonic()) that reads a :class:`VirtualTimeLoop`'s time.

    ``monotonic()`` is the loop's ``time()``; ``now()`` is ``start`` plus the
    virtual seconds since the loop was made, so both move together and only
    when the loop's timers do, and every clock on one loop with the same
    ``start`` reads the same (a terminal restarted within a test keeps time).
    """

    def __init__(self, loop: VirtualTimeLoop, start: datetime = DEFAULT_START) -> None:
        if start.tzinfo is None:
            raise ValueError("a VirtualClock starts at a timezone-aware instant")
        self._loop = loop
        self._start = start.astimezone(UTC)
        self._origin = DEFAULT_MONOTONIC

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self._loop.time() - self._origin)

    def monotonic(self) -> float:
        return self._loop.time()


def virtual_clock(start: datetime = DEFAULT_START) -> VirtualClock:
    """A :class:`VirtualClock` on the running loop, which must be a :class:`VirtualTimeLoop`."""
    loop = asyncio.get_running_loop()
    if not isinstance(loop, VirtualTimeLoop):
        raise RuntimeError("virtual_clock() needs a VirtualTimeLoop: run the test with run_virtual")
    return VirtualClock(loop, start)


def run_virtual(
    main: Coroutine[Any, Any, _T],
    *,
    debug: bool | None = None,
    context: contextvars.Context | None = None,
) -> _T:
    """Run ``main`` to completion on a fresh :class:`VirtualTimeLoop`, as ``asyncio.run`` does."""
    with asyncio.Runner(debug=debug, loop_factory=VirtualTimeLoop) as runner:
        return runner.run(main, context=context)
