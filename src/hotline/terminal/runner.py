"""``hotline run``: one terminal in the foreground, with its control API (and console).

Takes an exclusive lock on the directory before touching the store (a second
daemon must not open it at all), starts the :class:`~hotline.terminal.daemon.Terminal`,
serves the control API on ``DIR/control.sock`` and the send lane on
``DIR/send.sock`` (lane.py), the metrics and health listener when
``[metrics] listen`` is set (metrics.py), and, when a caller passes one,
another server on the same loop (the web console, ``hotline.console``), and
stops cleanly on SIGTERM or SIGINT. With ``[performance] hold_cpus_awake`` it
holds a PM QoS request for the process's life (cpu_wake.py).
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import signal
import socket
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from hotline.errors import ConfigError, DaemonError, LinkError, NotInitialised
from hotline.terminal.config.passphrase import Passphrase
from hotline.terminal.config.paths import TerminalPaths
from hotline.terminal.config.token import Pin
from hotline.terminal.daemon import Terminal
from hotline.terminal.runtime.cpu_wake import CPU_DMA_LATENCY, CpuWakeHold, hold_cpus_awake
from hotline.terminal.runtime.heap import cap_mmap_threshold
from hotline.terminal.runtime.leadership import STEPPED_DOWN, Leadership
from hotline.terminal.runtime.tasks import Supervisor
from hotline.utc import format_utc

__all__ = ["DirectoryLock", "ExtraServer", "run_terminal"]

log = logging.getLogger("hotline.terminal")

#: A server to run beside the control API: called with the started terminal and an
#: event to set once it listens; it runs until cancelled.
ExtraServer = Callable[[Terminal, asyncio.Event], Coroutine[Any, Any, None]]


class DirectoryLock:
    """An exclusive flock on DIR/terminal.lock: one daemon per directory."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise DaemonError(f"a terminal is already running in {self._path.parent}") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def acquire_stopped(self, why: str) -> None:
        """Acquire for a verb that needs the terminal stopped; refuse, saying ``why``, if it runs."""
        try:
            self.acquire()
        except DaemonError:
            raise DaemonError(
                f"the terminal in {self._path.parent} is running: stop it first ({why})"
            ) from None

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


async def run_terminal(
    directory: Path,
    *,
    ready: asyncio.Event | None = None,
    extra: ExtraServer | None = None,
    passphrase: Passphrase | None = None,
    pin: Pin | None = None,
) -> None:
    """Run a terminal in the foreground until SIGTERM or SIGINT; the body of ``hotline run``.

    ``passphrase`` opens sealed keys, ``pin`` a signing key's token; None
    looks in the environment (open_terminal).
    """
    from hotline.terminal.control import serve_control_api
    from hotline.terminal.lane import serve_send_lane

    # Large buffers (a TLS handshake's) mapped apart, so a flood of refused
    # connections is given back to the system (runtime/heap.py).
    cap_mmap_threshold()
    paths = TerminalPaths(directory)
    if not paths.is_initialised():
        raise NotInitialised(
            f"{directory} is not a hotline terminal (create one with: hotline init)"
        )
    lock = DirectoryLock(paths.lock)
    lock.acquire()  # before touching the store: a second daemon must not open it at all
    try:
        terminal = Terminal.open(directory, passphrase=passphrase, pin=pin)
    except BaseException:
        lock.release()
        raise
    try:
        leadership = Leadership.for_store(
            terminal.store,
            terminal.settings.store_url,
            terminal.identity.signing_public,
            holder=f"{socket.gethostname()}:{os.getpid()}",
        )
    except BaseException:
        terminal.store.close()
        lock.release()
        raise
    cpu_hold = _hold_cpus(terminal)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, terminal.request_stop)

    def server_failed(name: str, exc: BaseException) -> None:
        # A server that dies leaves the terminal out of its operators' reach: stop, say why.
        log.error("%s stopped: %s", name, exc)
        terminal.request_stop()

    servers = Supervisor(f"servers {terminal.party}", on_failure=server_failed)
    try:
        if leadership is None:
            await _start_terminal(terminal)
        else:
            # A standby answers `hotline status` (role: standby) but listens to no
            # peer and dials none until it holds the lead.
            terminal.role = leadership.role
        # The send lane first (DIR/send.sock, docs/lane.md): once the control API
        # answers, a client may count on the lane listening too.
        await _start_server(servers, serve_send_lane, terminal)
        await _start_server(servers, serve_control_api, terminal)
        if terminal.settings.metrics is not None:
            from hotline.terminal.metrics import serve_metrics

            await _start_server(servers, serve_metrics, terminal)
        if extra is not None:
            await _start_server(servers, extra, terminal)
        if ready is not None:
            ready.set()
        if leadership is not None:
            await _lead(terminal, leadership, servers)
        await terminal.wait_stopped()
        if leadership is not None and leadership.role == STEPPED_DOWN:
            raise DaemonError("this process lost the leader lock and stepped down")
        log.info("%s shutting down", terminal.party)
    finally:
        await servers.aclose()
        await terminal.stop()
        if leadership is not None:
            leadership.close()
        if cpu_hold is not None:
            cpu_hold.release()
        lock.release()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)


async def _start_terminal(terminal: Terminal) -> None:
    try:
        await terminal.start()
    except LinkError as exc:
        raise ConfigError(str(exc)) from exc


async def _lead(terminal: Terminal, leadership: Leadership, servers: Supervisor) -> None:
    """Wait for the lead (unless asked to stop first), then start the terminal and watch the lock."""
    waiting = asyncio.ensure_future(
        leadership.wait_active(lambda: format_utc(terminal.clock.now()))
    )
    stopping = asyncio.ensure_future(terminal.wait_stopped())
    try:
        await asyncio.wait({waiting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        if not waiting.done():
            waiting.cancel()
    if not waiting.done() or waiting.cancelled():
        return
    waiting.result()  # a failure to reach the store stops the process, saying why
    terminal.role, terminal.epoch = leadership.role, leadership.epoch
    await _start_terminal(terminal)

    def lost() -> None:
        terminal.role = leadership.role
        terminal.request_stop()

    servers.spawn(leadership.watch(lost), "leader lock")


def _hold_cpus(terminal: Terminal, device: Path = CPU_DMA_LATENCY) -> CpuWakeHold | None:
    """Make the PM QoS request if the settings ask for it; say in the status how it went."""
    if not terminal.settings.hold_cpus_awake:
        return None
    try:
        hold = hold_cpus_awake(device)
    except OSError as exc:
        # The terminal runs either way: a slower line is better than no line.
        terminal.cpu_wake = f"asked, but not held: {exc.strerror or exc} ({device})"
        log.warning("[performance] hold_cpus_awake: %s", terminal.cpu_wake)
        return None
    terminal.cpu_wake = hold.describe()
    log.info("%s", terminal.cpu_wake)
    return hold


async def _start_server(
    servers: Supervisor, serve: ExtraServer, terminal: Terminal
) -> asyncio.Task[None]:
    """Start ``serve`` under ``servers``; return its task once it listens, or raise why not."""
    started = asyncio.Event()
    task = servers.spawn(serve(terminal, started), getattr(serve, "__name__", "server"))
    waiter = asyncio.get_running_loop().create_task(started.wait())
    try:
        done, _ = await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
    if task in done:
        task.result()  # raises why the server could not start
        raise ConfigError("a server stopped as soon as it started")
    return task
