"""The terminal daemon: listeners, dialers, sessions, and the control API, on one event loop.

Theory of operation
-------------------
For every known peer the terminal keeps a :class:`PeerLine`: the peer's
record, its live session (if any), and an event that wakes the session's
pump when a message is queued. Exactly one side of each pair dials: the one
whose signing key sorts lower (docs/protocol/delivery.md, section 4); the
other listens. A dialer retries every route with capped exponential backoff
until a session opens, and again after it closes. A newly opened session from
a peer replaces an older one (the peer dialed again, so it believes the old
one dead).

Sending never needs the line: :meth:`Terminal.send_text` stores the message
durably, then wakes the pump, which sends it whenever a session is open.

The store is used from the loop's thread only; each operation is short (one
SQLite commit, ~0.2 ms fsync), and bursts share commits.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import signal
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hotline.crypto import Precedence
from hotline.errors import (
    CloseCode,
    ConfigError,
    DaemonError,
    LinkError,
    NotInitialised,
    UnknownMessage,
    UnknownPeer,
)
from hotline.link import Backoff, TLSListener, Transport, client_context, dial, server_context
from hotline.store import Direction, MessageRecord, MessageState, PeerRecord
from hotline.terminal.clock import Clock, SystemClock
from hotline.terminal.inbox import Inbox
from hotline.terminal.outbox import DEFAULT_CHANNEL, Outbox
from hotline.terminal.paths import TerminalPaths
from hotline.terminal.session import Session
from hotline.terminal.setup import PeerAdded, TerminalFiles, add_peer_card, open_terminal
from hotline.terminal.tracker import DeliveryTracker
from hotline.utc import format_utc

__all__ = [
    "OutgoingText",
    "PeerLine",
    "PeerStatus",
    "Terminal",
    "TerminalStatus",
    "run_terminal",
]

log = logging.getLogger("hotline.terminal")

#: Seconds between journaled connection refusals from one host (the log gets every one).
REFUSAL_JOURNAL_INTERVAL = 10.0
#: Above this many hosts, the refusal memory is pruned of hosts outside their interval.
REFUSAL_HOSTS_REMEMBERED = 1024


@dataclass(slots=True)
class PeerLine:
    """What the daemon holds for one peer."""

    peer: PeerRecord
    session: Session | None = None
    dialer: asyncio.Task[None] | None = None
    last_contact: str | None = None
    last_error: str | None = None

    def wake(self) -> None:
        """A message was queued for this peer: wake the live session's pump, if any."""
        if self.session is not None:
            self.session.wake()


@dataclass(frozen=True, slots=True, kw_only=True)
class OutgoingText:
    """One message to queue with :meth:`Terminal.send_many`."""

    to: str
    text: str
    precedence: Precedence = Precedence.ROUTINE
    channel: str = DEFAULT_CHANNEL


@dataclass(frozen=True, slots=True, kw_only=True)
class PeerStatus:
    party: str
    state: str  # "up" | "down"
    last_contact: str | None
    queued: int
    address: str | None
    last_error: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class TerminalStatus:
    party: str
    fingerprint: str
    listen: tuple[str, ...]
    peers: tuple[PeerStatus, ...]


class Terminal:
    """One running terminal. Create with :meth:`open`, then ``await run()``."""

    def __init__(self, files: TerminalFiles, *, clock: Clock | None = None) -> None:
        self.files = files
        self.clock: Clock = clock or SystemClock()
        self.store = files.store
        self.identity = files.identity
        self.settings = files.settings
        self.inbox = Inbox(store=self.store, identity=self.identity, clock=self.clock)
        self.outbox = Outbox(store=self.store, identity=self.identity, clock=self.clock)
        self.lines: dict[str, PeerLine] = {}
        self.tracker = DeliveryTracker(self.clock)
        #: host -> (monotonic time of the last journaled refusal, refusals not journaled since)
        self._refusals: dict[str, tuple[float | None, int]] = {}
        self._listeners: list[TLSListener] = []
        self._stopping = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._card = files.card()
        self.store_closed = False

    @classmethod
    def open(cls, directory: Path, *, clock: Clock | None = None) -> Terminal:
        return cls(open_terminal(directory), clock=clock)

    # -- public operations (used by the control API) ----------------------

    @property
    def party(self) -> str:
        return self.settings.party

    def card_json(self) -> str:
        return self._card.to_json()

    def send_text(
        self,
        *,
        to: str,
        text: str,
        precedence: Precedence = Precedence.ROUTINE,
        channel: str = DEFAULT_CHANNEL,
    ) -> MessageRecord:
        """Queue a message durably and wake the line; returns once it is committed."""
        line = self._line(to)
        record = self.outbox.queue(
            peer=line.peer, text=text, channel=channel, precedence=precedence
        )
        self.tracker.queued(record.id)
        line.wake()
        return record

    def send_many(self, messages: Sequence[OutgoingText]) -> list[MessageRecord]:
        """Queue several messages in one transaction (one commit); all or none."""
        lines = [self._line(message.to) for message in messages]
        with self.store.transaction():
            records = [
                self.outbox.queue(
                    peer=line.peer, text=m.text, channel=m.channel, precedence=m.precedence
                )
                for line, m in zip(lines, messages, strict=True)
            ]
        for record, line in zip(records, lines, strict=True):
            self.tracker.queued(record.id)
            line.wake()
        return records

    async def wait_delivered(self, message_id: str, *, within: float) -> MessageRecord:
        """Wait until the message holds a verified receipt, or ``within`` seconds pass; return it."""
        record = self.store.get_message(message_id)
        if record is None:
            raise UnknownMessage(f"no message with id {message_id}")
        if record.state is not MessageState.DELIVERED and record.direction is Direction.OUT:
            await self.tracker.wait(message_id, within)
            record = self.store.get_message(message_id) or record
        return record

    def add_peer(self, card_text: str | bytes) -> PeerAdded:
        """Add or refresh a peer from its card and start dialing it if it is ours to dial."""
        added = add_peer_card(self.files, card_text, clock=self.clock)
        line = self.lines.get(added.peer.party)
        if line is None:
            line = PeerLine(peer=added.peer)
            self.lines[added.peer.party] = line
        else:
            line.peer = added.peer
        self._ensure_dialer(line)
        return added

    def status(self) -> TerminalStatus:
        peers = []
        for party in sorted(self.lines):
            line = self.lines[party]
            up = line.session is not None and line.session.opened
            peers.append(
                PeerStatus(
                    party=party,
                    state="up" if up else "down",
                    last_contact=(line.session.last_heard if up and line.session else None)
                    or line.last_contact
                    or self.store.last_contact(party),
                    queued=self.store.count_pending(party),
                    address=line.session.transport.peer_address if up and line.session else None,
                    last_error=line.last_error,
                )
            )
        return TerminalStatus(
            party=self.party,
            fingerprint=self._card.fingerprint,
            listen=self.settings.listen,
            peers=tuple(peers),
        )

    def _line(self, party: str) -> PeerLine:
        line = self.lines.get(party)
        if line is None:
            known = ", ".join(sorted(self.lines)) or "none yet"
            raise UnknownPeer(
                f"no peer named {party!r} (known peers: {known}; add one with: hotline peer add)"
            )
        return line

    # -- running ------------------------------------------------------------

    async def start(self) -> None:
        """Open the listeners and start dialing; returns once listening."""
        for peer in self.store.list_peers():
            self.lines[peer.party] = PeerLine(peer=peer)
        for route in self.settings.listen:
            listener = TLSListener(
                route=route,
                context_factory=self._server_context,
                on_transport=self._accepted,
                on_refusal=self._refused,
            )
            await listener.start()
            self._listeners.append(listener)
        for line in self.lines.values():
            self._ensure_dialer(line)
        self._journal("terminal started", {"listen": list(self.settings.listen)})
        log.info("%s listening on %s", self.party, ", ".join(self.settings.listen))

    def request_stop(self) -> None:
        self._stopping.set()

    async def wait_stopped(self) -> None:
        await self._stopping.wait()

    async def stop(self) -> None:
        """Close every session politely, stop listening, close the store."""
        self._stopping.set()
        for line in self.lines.values():
            if line.session is not None:
                await line.session.close(CloseCode.SHUTTING_DOWN, "terminal shutting down")
        for listener in self._listeners:
            await listener.aclose()
        for line in self.lines.values():
            if line.dialer is not None:
                line.dialer.cancel()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task
        self._journal("terminal stopped", {})
        self.store_closed = True
        self.store.close()

    def _spawn(self, coro: Any, name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _server_context(self) -> Any:
        # Rebuilt per connection so a peer added a moment ago is accepted.
        return server_context(
            cert_file=self.files.paths.certificate,
            key_file=self.files.paths.tls_key,
            trusted=[line.peer.certificate for line in self.lines.values()],
        )

    def _ensure_dialer(self, line: PeerLine) -> None:
        if self._stopping.is_set():
            return
        if line.peer.signing_key < self.identity.signing_public:
            return  # the peer dials us
        if line.dialer is None or line.dialer.done():
            line.dialer = self._spawn(self._dial_loop(line), name=f"dial {line.peer.party}")

    async def _dial_loop(self, line: PeerLine) -> None:
        link = self.settings.link
        backoff = Backoff(initial=link.reconnect_initial, cap=link.reconnect_cap)
        reported: str | None = None
        while not self._stopping.is_set():
            for route in line.peer.routes:
                try:
                    transport = await self._dial_route(line.peer, route)
                except LinkError as exc:
                    line.last_error = str(exc)
                    if reported != str(exc):
                        log.info("%s: %s", line.peer.party, exc)
                        reported = str(exc)
                    continue
                reported = None
                if await self._run_session(transport, line):
                    # Only a session that opened counts as success: a peer that
                    # accepts TLS and then drops us must not be redialed in a hot loop.
                    backoff.reset()
                break
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(backoff.next_delay()):
                    await self._stopping.wait()

    async def _dial_route(self, peer: PeerRecord, route: str) -> Transport:
        try:
            context = client_context(
                cert_file=self.files.paths.certificate,
                key_file=self.files.paths.tls_key,
                peer_certificate=peer.certificate,
            )
        except ssl.SSLError as exc:
            raise LinkError(f"cannot set up TLS for {peer.party}: {exc}") from exc
        return await dial(route, context)

    async def _accepted(self, transport: Transport) -> None:
        peer = self.store.get_peer_by_key(transport.peer_key)
        line = self.lines.get(peer.party) if peer is not None else None
        if line is None:
            self._refused(transport.peer_address, "certificate of no known peer")
            await transport.aclose()
            return
        await self._run_session(transport, line)

    def _refused(self, address: str, reason: str) -> None:
        log.warning("refused connection from %s: %s", address, reason)
        # Anyone who can reach a listening port can cause refusals; the journal
        # (fsynced) takes at most one per host per REFUSAL_JOURNAL_INTERVAL and
        # counts the rest, so a port scan cannot flood it.
        host = address.rsplit(":", 1)[0]
        now = self.clock.monotonic()
        last, suppressed = self._refusals.get(host, (None, 0))
        if last is not None and now - last < REFUSAL_JOURNAL_INTERVAL:
            self._refusals[host] = (last, suppressed + 1)
            return
        if len(self._refusals) >= REFUSAL_HOSTS_REMEMBERED:
            # Many hosts (a distributed scan): forget the ones whose interval has passed.
            self._refusals = {
                h: entry
                for h, entry in self._refusals.items()
                if entry[0] is not None and now - entry[0] < REFUSAL_JOURNAL_INTERVAL
            }
        self._refusals[host] = (now, 0)
        data: dict[str, Any] = {"what": "connection", "address": address, "reason": reason}
        if suppressed:
            data["suppressed_since_last"] = suppressed
        self._journal("refusal", data)

    async def _run_session(self, transport: Transport, line: PeerLine) -> bool:
        """Run one session to its end; True if it opened (hello exchanged)."""
        if transport.peer_key != line.peer.signing_key:
            self._refused(transport.peer_address, f"certificate is not {line.peer.party}'s")
            await transport.aclose()
            return False
        session = Session(
            transport=transport,
            peer=line.peer,
            our_key=self.identity.signing_public,
            store=self.store,
            inbox=self.inbox,
            outbox=self.outbox,
            clock=self.clock,
            settings=self.settings.link,
            on_open=lambda s: self._session_opened(line, s),
            on_delivered=self.tracker.delivered,
        )
        reason = await session.run()
        if line.session is session:
            line.session = None
            line.last_contact = session.last_heard or line.last_contact
            line.last_error = reason
            if line.last_contact is not None and not self.store_closed:
                self.store.set_last_contact(line.peer.party, line.last_contact)
            self._journal(
                "link down",
                {"peer": line.peer.party, "address": transport.peer_address, "reason": reason},
            )
            log.info("link to %s down: %s", line.peer.party, reason)
        return session.opened

    def _session_opened(self, line: PeerLine, session: Session) -> None:
        old = line.session
        line.session = session
        line.last_contact = format_utc(self.clock.now())
        line.last_error = None
        if old is not None and old is not session:
            self._spawn(
                old.close(CloseCode.NORMAL, "replaced by a newer session"), name="close old session"
            )
        self._journal(
            "link up",
            {
                "peer": line.peer.party,
                "address": session.transport.peer_address,
                "dialed": session.transport.dialed,
            },
        )
        log.info("link to %s up via %s", line.peer.party, session.transport.peer_address)

    def _journal(self, kind: str, data: dict[str, Any]) -> None:
        self.store.append_journal(kind=kind, at=format_utc(self.clock.now()), data=data)


class _DirectoryLock:
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

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


async def run_terminal(directory: Path, *, ready: asyncio.Event | None = None) -> None:
    """Run a terminal in the foreground until SIGTERM or SIGINT; the body of ``hotline run``."""
    from hotline.terminal.control import serve_control_api

    paths = TerminalPaths(directory)
    if not paths.is_initialised():
        raise NotInitialised(
            f"{directory} is not a hotline terminal (create one with: hotline init)"
        )
    lock = _DirectoryLock(paths.lock)
    lock.acquire()  # before touching the store: a second daemon must not open it at all
    try:
        terminal = Terminal.open(directory)
    except BaseException:
        lock.release()
        raise
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, terminal.request_stop)
    api: asyncio.Task[None] | None = None
    try:
        try:
            await terminal.start()
        except LinkError as exc:
            raise ConfigError(str(exc)) from exc
        api_started = asyncio.Event()
        api = asyncio.create_task(serve_control_api(terminal, started=api_started))
        done, _ = await asyncio.wait(
            {api, asyncio.create_task(api_started.wait())}, return_when=asyncio.FIRST_COMPLETED
        )
        if api in done:
            api.result()  # raises why the control API could not start
        if ready is not None:
            ready.set()
        await terminal.wait_stopped()
        log.info("%s shutting down", terminal.party)
    finally:
        if api is not None:
            api.cancel()
            with contextlib.suppress(BaseException):
                await api
        await terminal.stop()
        lock.release()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
