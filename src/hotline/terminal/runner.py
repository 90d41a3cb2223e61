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
from hotline.terminal.config.keyfiles import CHECK_EVERY, sync_key_files
from hotline.terminal.config.passphrase import Passphrase
from hotline.terminal.config.paths import TerminalPaths
from hotline.terminal.config.token import Pin
from hotline.terminal.daemon import Terminal
from hotline.terminal.runtime.cpu_wake import CPU_DMA_LATENCY, CpuWakeHold, hold_cpus_awake
from hotline.terminal.runtime.heap import cap_mmap_threshold
from hotline.terminal.runtime.leadership import POLL_INTERVAL, STEPPED_DOWN, Leadership
from hotline.terminal.runtime.tasks import Supervisor
from hotline.terminal.standby import pull_key_files
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
        # The key files the active process published since this directory was
        # made or last ran (a standby's; docs/ha.md §6), before they are opened.
        pull_key_files(directory)
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
    process = _Process(terminal, extra=extra, passphrase=passphrase, pin=pin)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, process.request_stop)
    try:
        if leadership is None:
            await _start_terminal(terminal)
        else:
            # A standby answers `hotline status` (role: standby) but listens to no
            # peer and dials none until it holds the lead.
            terminal.role = leadership.role
        await process.serve()
        if ready is not None:
            ready.set()
        if leadership is not None:
            await _lead(process, leadership)
        await process.terminal.wait_stopped()
        if leadership is not None and leadership.role == STEPPED_DOWN:
            raise DaemonError("this process lost the leader lock and stepped down")
        log.info("%s shutting down", process.terminal.party)
    finally:
        await process.servers.aclose()
        await process.terminal.stop()
        if leadership is not None:
            leadership.close()
        if cpu_hold is not None:
            cpu_hold.release()
        lock.release()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)


class _Process:
    """The terminal this process runs and the servers in front of it (the control API,
    the send lane, metrics, the console).

    A standby replaces both when it pulls new key files (:meth:`reopen`): the
    terminal is opened again from its directory, as a restart would, before it
    has started anything.
    """

    def __init__(
        self,
        terminal: Terminal,
        *,
        extra: ExtraServer | None,
        passphrase: Passphrase | None,
        pin: Pin | None,
    ) -> None:
        self.terminal = terminal
        self._extra = extra
        self._passphrase = passphrase
        self._pin = pin
        self._stop_requested = False
        self.servers = self._supervisor()
        #: The key files' generation last looked at (docs/ha.md §6); 0 until the first
        #: look, which then only finds the directory in sync (pulled at the start).
        self.key_generation = 0

    def request_stop(self) -> None:
        self._stop_requested = True
        self.terminal.request_stop()

    def _supervisor(self) -> Supervisor:
        def server_failed(name: str, exc: BaseException) -> None:
            # A server that dies leaves the terminal out of its operators' reach: stop, say why.
            log.error("%s stopped: %s", name, exc)
            self.request_stop()

        return Supervisor(f"servers {self.terminal.party}", on_failure=server_failed)

    async def serve(self) -> None:
        """Start the servers in front of the terminal."""
        from hotline.terminal.control import serve_control_api
        from hotline.terminal.lane import serve_send_lane

        # The send lane first (DIR/send.sock, docs/lane.md): once the control API
        # answers, a client may count on the lane listening too.
        await _start_server(self.servers, serve_send_lane, self.terminal)
        await _start_server(self.servers, serve_control_api, self.terminal)
        if self.terminal.settings.metrics is not None:
            from hotline.terminal.metrics import serve_metrics

            await _start_server(self.servers, serve_metrics, self.terminal)
        if self._extra is not None:
            await _start_server(self.servers, self._extra, self.terminal)

    def sync_keys(self, *, lead: bool) -> bool:
        """Bring the directory's key files and the store's together; True if it pulled
        new ones (the terminal must then be opened again)."""
        result = sync_key_files(
            self.terminal.store,
            self.terminal.files.paths,
            lead=lead,
            at=format_utc(self.terminal.clock.now()),
        )
        self.key_generation = result.generation
        if result.action != "pulled":
            return False
        log.info(
            "pulled the key files of generation %d: %s",
            result.generation,
            ", ".join(result.changed),
        )
        return True

    async def reopen(self, leadership: Leadership) -> None:
        """Open the terminal again from its directory (new key files), with new servers."""
        old = self.terminal
        # Opened first: if the new files do not open (a passphrase changed on the
        # active machine only), the process stops on the old terminal, saying why.
        self.terminal = Terminal.open(
            old.files.paths.root, passphrase=self._passphrase, pin=self._pin
        )
        await self.servers.aclose()
        old.store_closed = True
        old.store.close()  # never started: nothing else to stop
        self.terminal.cpu_wake = old.cpu_wake
        leadership.rebind(self.terminal.store)
        self.terminal.role, self.terminal.epoch = leadership.role, leadership.epoch
        if self._stop_requested:
            self.terminal.request_stop()
        self.servers = self._supervisor()
        await self.serve()


async def _start_terminal(terminal: Terminal) -> None:
    try:
        await terminal.start()
    except LinkError as exc:
        raise ConfigError(str(exc)) from exc


async def _lead(process: _Process, leadership: Leadership) -> None:
    """Wait for the lead (unless asked to stop first), then start the terminal and watch the lock.

    While it waits, the standby looks at the store's key files every
    CHECK_EVERY seconds and, if the active process published new ones, pulls
    them and opens the terminal again; once more as it takes the lead, so it
    never leads on keys older than the store's (docs/ha.md §6).
    """
    loop = asyncio.get_running_loop()
    looked = loop.time()
    while not leadership.try_take(format_utc(process.terminal.clock.now())):
        if loop.time() - looked >= CHECK_EVERY:
            looked = loop.time()
            generation = process.terminal.store.key_files_generation()
            if generation != process.key_generation and process.sync_keys(lead=False):
                await process.reopen(leadership)
        stopping = asyncio.ensure_future(process.terminal.wait_stopped())
        try:
            # Polling is the design: the lock is the server's, nothing here could set an Event.
            await asyncio.wait({stopping}, timeout=POLL_INTERVAL)
        finally:
            stopping.cancel()
        if stopping.done() and not stopping.cancelled():
            return
    if process.sync_keys(lead=True):
        await process.reopen(leadership)
    terminal = process.terminal
    terminal.role, terminal.epoch = leadership.role, leadership.epoch
    await _start_terminal(terminal)

    def lost() -> None:
        terminal.role = leadership.role
        terminal.request_stop()

    process.servers.spawn(leadership.watch(lost), "leader lock")


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
