"""One live session with one peer: drives a sans-IO ``proto.Connection`` over a transport.

Theory of operation
-------------------
A session starts when a transport is authenticated (TLS pinned to the peer's
key) and ends when the transport closes, the peer goes quiet for
``dead_after`` heartbeat intervals, the peer breaks the protocol, or the
terminal shuts down. Three tasks share it:

* the **reader** feeds received bytes to the connection and handles each
  batch of events together: envelopes and receipts of one read are checked
  and stored in one transaction (one commit), then the receipts go out;
* the **pump** sends the peer's pending outgoing envelopes in serial order.
  It waits for the peer's RESUME (which says the highest serial it holds),
  then sends every message that has no receipt yet, oldest first, then each
  new one as it is queued. A RESUME during the session rewinds it;
* the **heartbeat** sends a HEARTBEAT every ``heartbeat_interval`` so that
  silence means a dead line, never an idle one.

Writes from the three tasks never interleave inside a frame: each frame is
produced by ``Connection.send`` and handed to the transport without an
``await`` in between.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from hotline import proto
from hotline.errors import CloseCode, LocalProtocolError, RemoteProtocolError
from hotline.link import Transport
from hotline.store import MessageState, PeerRecord, Store
from hotline.terminal.clock import Clock
from hotline.terminal.inbox import Inbox
from hotline.terminal.outbox import Outbox
from hotline.terminal.settings import LinkSettings
from hotline.utc import format_utc

__all__ = ["Session"]

log = logging.getLogger("hotline.session")

#: How many pending envelopes the pump reads from the store per step.
PUMP_BATCH = 256


class Session:
    """A session with one peer over one authenticated transport."""

    def __init__(
        self,
        *,
        transport: Transport,
        peer: PeerRecord,
        our_key: bytes,
        store: Store,
        inbox: Inbox,
        outbox: Outbox,
        clock: Clock,
        settings: LinkSettings,
        outbox_wakeup: asyncio.Event,
        on_open: Callable[[Session], None],
        on_delivered: Callable[[tuple[str, ...]], None] | None = None,
    ) -> None:
        self.transport = transport
        self.peer = peer
        self._store = store
        self._inbox = inbox
        self._outbox = outbox
        self._clock = clock
        self._settings = settings
        self._wakeup = outbox_wakeup
        self._on_open = on_open
        self._on_delivered = on_delivered
        self._conn = proto.Connection(our_key=our_key, peer_key=transport.peer_key)
        self._resumed = asyncio.Event()
        self._open = asyncio.Event()
        self._pump_after = 0
        self._last_resume_asked: int | None = None
        #: (message id, when) of envelopes first written since the last commit.
        self._transmitted: list[tuple[str, str]] = []
        self._closing = False
        self.close_reason = "open"
        self.opened = False
        self.sent_frames = 0
        self.received_frames = 0
        #: When we last heard anything from the peer (UTC text), heartbeats included.
        self.last_heard: str | None = None

    # -- writing ---------------------------------------------------------

    async def _send(self, *events: proto.Event) -> None:
        data = b"".join(self._conn.send(event) for event in events)
        if data:
            await self.transport.send(data)

    # -- lifecycle -------------------------------------------------------

    async def run(self) -> str:
        """Run the session until it ends; return why it ended."""
        tasks: list[asyncio.Task[None]] = []
        try:
            await self._send(self._conn.hello())
            tasks.append(
                asyncio.create_task(self._heartbeat(), name=f"heartbeat {self.peer.party}")
            )
            tasks.append(asyncio.create_task(self._pump(), name=f"pump {self.peer.party}"))
            for task in tasks:
                task.add_done_callback(self._task_ended)
            await self._read()
        except RemoteProtocolError as exc:
            self.close_reason = f"protocol error from peer: {exc}"
            self._journal_refusal("protocol", exc)
            with contextlib.suppress(Exception):
                await self._send(proto.Close(code=exc.close_code, reason=str(exc)[:200]))
        except (ConnectionError, OSError) as exc:
            self.close_reason = f"connection lost: {exc or type(exc).__name__}"
        except Exception as exc:
            # A bug or a store failure must end this session, not the terminal: the
            # peer redials, and nothing uncommitted was acknowledged.
            log.exception("session with %s failed", self.peer.party)
            self.close_reason = f"internal error: {type(exc).__name__}: {exc}"
            with contextlib.suppress(Exception):
                await self._send(
                    proto.Close(code=CloseCode.PROTOCOL_ERROR, reason="internal error")
                )
        finally:
            if self._transmitted:
                with contextlib.suppress(Exception), self._store.transaction():
                    self._record_transmitted()
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(BaseException):
                    await task
            await self.transport.aclose()
        return self.close_reason

    def _task_ended(self, task: asyncio.Task[None]) -> None:
        # A writer task that fails (peer gone, state closed) ends the whole session:
        # closing the transport makes the reader see end of stream.
        if task.cancelled() or task.exception() is None:
            return
        if self.close_reason == "open":
            self.close_reason = f"send failed: {task.exception()}"
        asyncio.get_running_loop().create_task(self.transport.aclose())

    async def close(self, code: CloseCode, reason: str) -> None:
        """Tell the peer why, then end the session."""
        if self._closing:
            return
        self._closing = True
        self.close_reason = reason
        with contextlib.suppress(Exception):
            await self._send(proto.Close(code=code, reason=reason[:200]))
        await self.transport.aclose()

    # -- reader ----------------------------------------------------------

    async def _read(self) -> None:
        dead_after = self._settings.heartbeat_interval * self._settings.dead_after
        while True:
            try:
                data = await asyncio.wait_for(self.transport.receive(), timeout=dead_after)
            except TimeoutError:
                self.close_reason = f"nothing heard for {dead_after:g} s: line presumed dead"
                return
            if data:
                self.last_heard = format_utc(self._clock.now())
            self._conn.receive_data(data)
            if await self._handle_events():
                return

    async def _handle_events(self) -> bool:
        """Handle every event the connection has; True when the session is over."""
        envelopes: list[bytes] = []
        receipts: list[bytes] = []
        finished = False
        for event in self._conn.events():
            self.received_frames += 1
            if isinstance(event, proto.Data):
                envelopes.append(event.envelope)
            elif isinstance(event, proto.Receipt):
                receipts.append(event.receipt)
            elif isinstance(event, proto.Resume):
                self._pump_after = (
                    min(self._pump_after, event.last_held) if self._resumed.is_set() else 0
                )
                self._resumed.set()
                self._wakeup.set()
            elif isinstance(event, proto.Close):
                self.close_reason = f"closed by peer: {event.reason or event.code.name.lower()}"
                if not self._closing:
                    # Answer in kind, so the peer sees a clean end (docs/protocol/session.md).
                    self._closing = True
                    with contextlib.suppress(LocalProtocolError, ConnectionError, OSError):
                        await self._send(proto.Close(code=CloseCode.NORMAL, reason="closing"))
            elif isinstance(event, proto.ConnectionClosed):
                if self.close_reason == "open":
                    self.close_reason = "closed by peer" if event.clean else "connection lost"
                finished = True
        if self._conn.state is proto.ConnectionState.OPEN and not self.opened:
            await self._opened()
        if envelopes or receipts:
            await self._deliver(envelopes, receipts)
        return finished or self._conn.state is proto.ConnectionState.CLOSED

    async def _opened(self) -> None:
        if self.opened:
            return
        self.opened = True
        self._open.set()
        last_serial, _ = self._store.last_incoming(self.peer.party)
        self._on_open(self)
        await self._send(proto.Resume(last_held=last_serial))

    async def _deliver(self, envelopes: list[bytes], receipts: list[bytes]) -> None:
        now = format_utc(self._clock.now())
        with self._store.transaction():
            self._record_transmitted()
            inbound = self._inbox.accept(peer=self.peer, envelopes=envelopes)
            acknowledged = self._outbox.accept_receipts(peer=self.peer, receipts=receipts)
            self._store.set_last_contact(self.peer.party, now)
        # Committed: only now may the peer learn that we hold its messages.
        for reason in (*inbound.refusals, *acknowledged.refusals):
            log.warning("%s", reason)
        frames: list[proto.Event] = [proto.Receipt(receipt=r) for r in inbound.receipts]
        if inbound.resume_from is not None and inbound.resume_from != self._last_resume_asked:
            self._last_resume_asked = inbound.resume_from
            frames.append(proto.Resume(last_held=inbound.resume_from))
        if frames:
            await self._send(*frames)
        if acknowledged.delivered and self._on_delivered is not None:
            self._on_delivered(acknowledged.delivered)

    # -- pump and heartbeat ----------------------------------------------

    async def _pump(self) -> None:
        await self._resumed.wait()
        while True:
            self._wakeup.clear()
            batch = self._store.pending_outgoing(
                self.peer.party, after_serial=self._pump_after, limit=PUMP_BATCH
            )
            if not batch:
                await self._wakeup.wait()
                continue
            self._pump_after = batch[-1].serial
            await self._send(*(proto.Data(envelope=m.envelope) for m in batch))
            stamp = format_utc(self._clock.now())
            self._transmitted.extend((m.id, stamp) for m in batch if m.state is MessageState.QUEUED)

    def _record_transmitted(self) -> None:
        """Write the queued → sent transitions noted since the last call (inside a transaction).

        They ride on the next commit that happens anyway (a batch of receipts, or
        the heartbeat's), instead of costing an fsync of their own on the path to
        delivery. Losing them in a crash is harmless: "sent" only says the
        envelope left once, and every unreceipted envelope is sent again anyway.
        """
        noted, self._transmitted = self._transmitted, []
        for message_id, stamp in noted:
            self._store.mark_transmitted(message_id, stamp)

    async def _heartbeat(self) -> None:
        interval = self._settings.heartbeat_interval
        await self._open.wait()
        while True:
            await asyncio.sleep(interval)
            if self._transmitted:
                with self._store.transaction():
                    self._record_transmitted()
            try:
                await self._send(proto.Heartbeat(sent_at_ms=int(self._clock.monotonic() * 1000)))
            except LocalProtocolError:
                return  # closing: no more heartbeats are allowed

    def _journal_refusal(self, what: str, exc: Exception) -> None:
        log.warning("session with %s: %s", self.peer.party, exc)
        with contextlib.suppress(Exception):
            self._store.append_journal(
                kind="refusal",
                at=format_utc(self._clock.now()),
                data={
                    "peer": self.peer.party,
                    "what": what,
                    "error": type(exc).__name__,
                    "reason": str(exc),
                    "address": self.transport.peer_address,
                },
            )
