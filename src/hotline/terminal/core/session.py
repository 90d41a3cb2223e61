"""One live session with one peer: drives a sans-IO ``proto.Connection`` over a transport.

Theory of operation
-------------------
A session starts when a transport is authenticated (TLS pinned to the peer's
key) and ends when the transport closes, the peer goes quiet for
``dead_after`` heartbeat intervals (one more if the terminal itself was
held up and could not listen), a write makes no progress for as long, the
peer breaks the protocol, or the terminal shuts down. Four tasks share it:

* the **reader** feeds received bytes to the connection and handles the
  events in slices of at most :data:`DELIVERY_SLICE` envelopes and receipts:
  each slice is checked and stored in one transaction (one commit), then its
  receipts are queued for the writer. The reader never waits for a write: two
  terminals flooding each other must never both block writing receipts that
  neither is reading;
* the **writer** is the only task that waits for the transport. Everything
  else queues frames with :meth:`Session._queue`, which never blocks: when the
  writer is idle and nothing is queued, ``_queue`` hands the frames to the
  transport at once (``Transport.write_now``, which takes them only if it has
  no unsent bytes), so receipts leave as soon as their commit returns. A write
  that makes no progress for the dead-line window ends the session (the peer
  stopped reading: for the sender that is a dead line);
* the **pump** sends the peer's pending outgoing envelopes in serial order.
  It waits for the peer's RESUME (which says the highest serial it holds),
  then sends every message that has no receipt yet, oldest first, then each
  new one as it is queued (one queued when the pump has caught up is sent by
  :meth:`Session.offer` right away, without the pump). A RESUME during the
  session rewinds it. It stops queueing while more than :data:`HIGH_WATER`
  bytes wait to be written;
* the **heartbeat** queues a HEARTBEAT every ``heartbeat_interval`` so that
  silence means a dead line, never an idle one. Each one echoes the peer's
  latest heartbeat, so the peer measures this route's round-trip time.

With several routes to a peer there is a session per route, and only one,
the *carrier*, pumps (:meth:`Session.set_carrying`); the others stand by,
still reading, receipting, heartbeating and answering link tests. A session
that becomes the carrier resends every unreceipted envelope from the first
(docs/protocol/routes.md). Link tests (``LinkTest`` frames) are handed to the
terminal, never to the inbox, and answered on the same session; so are
witness requests (``WitnessRequest``: the peer asks us to cosign a checkpoint
of its record, docs/protocol/record.md), and their answers go to the terminal.

Frames never interleave: each is produced whole by ``Connection.send`` and
queued in the order produced.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from hotline import proto
from hotline.errors import LocalProtocolError, RemoteProtocolError
from hotline.link import Transport
from hotline.proto import CloseCode
from hotline.store import ChainAdoption, MessageRecord, MessageState, PeerRecord, Store
from hotline.terminal.config.settings import LinkSettings
from hotline.terminal.core.inbox import Inbox
from hotline.terminal.core.outbox import Outbox, SentMark, write_transmitted
from hotline.terminal.runtime.clock import Clock
from hotline.terminal.runtime.tasks import Supervisor
from hotline.utc import format_utc

__all__ = ["DELIVERY_SLICE", "HIGH_WATER", "PUMP_BATCH", "Session", "SessionHandler"]

log = logging.getLogger("hotline.session")

#: How many pending envelopes the pump reads from the store per step.
PUMP_BATCH = 256
#: At most this many envelopes plus receipts share one commit; between slices the
#: loop runs other tasks, so heartbeats keep flowing during a long burst.
DELIVERY_SLICE = 128
#: The pump waits while more than this many bytes are queued for writing.
HIGH_WATER = 1 << 20
#: The last contact with the peer is stored at most this often (seconds).
CONTACT_EVERY = 1.0
#: A silence timer observed later than this (seconds) fired while the terminal
#: was not listening: the session listens one heartbeat more (_receive_or_silence).
LATE_TIMER = 0.02
#: The writer hands the transport at most this much at once, so "no progress
#: for the dead-line window" is judged on a small step, not on a whole burst.
WRITE_STEP = 64 * 1024


class SessionHandler:
    """What a session tells its owner (the terminal's line); each method may be left as is.

    One object instead of a row of callbacks: the daemon gives each session a
    handler bound to its line, and a test overrides only what it watches.
    """

    def opened(self, session: Session) -> None:
        """HELLO was exchanged: the session carries or stands by from now on."""

    def delivered(self, message_ids: tuple[str, ...]) -> None:
        """These outgoing messages' receipts were verified and stored (one commit)."""

    def received(self, records: tuple[MessageRecord, ...]) -> None:
        """These incoming messages were accepted and stored, in serial order (one commit)."""

    def link_test(self, session: Session, envelope: bytes) -> bytes | None:
        """A TEST envelope arrived: the receipt to send back, or None to send none."""
        return None

    def link_test_receipt(self, session: Session, receipt: bytes) -> None:
        """The receipt for one of our TEST envelopes arrived."""

    def rtt(self, session: Session, seconds: float) -> None:
        """A round-trip time was measured from a heartbeat's echo."""

    def witness_request(
        self, session: Session, request: proto.WitnessRequest
    ) -> proto.WitnessCosignature | proto.WitnessRefusal | None:
        """The peer asks us to cosign its checkpoint: the answer to send, or None."""
        return None

    def witness_answer(
        self, session: Session, answer: proto.WitnessCosignature | proto.WitnessRefusal
    ) -> None:
        """The peer answered one of our witness requests."""

    def revoked_key_used(self, session: Session, detail: str) -> None:
        """Something signed by a key the peer revoked arrived and was refused (an alarm)."""

    def restored_behind(self, session: Session, detail: str) -> None:
        """The peer holds more of our direction than our store: we were restored from a backup.

        ``detail`` says what was found and done (delivery.md §5.1), for an alarm.
        """


class _WriteStalled(Exception):
    """A write made no progress for the dead-line window."""


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
        handler: SessionHandler,
        carrying: bool = True,
    ) -> None:
        self.transport = transport
        self.peer = peer
        self._store = store
        self._inbox = inbox
        self._outbox = outbox
        self._clock = clock
        self._settings = settings
        self._handler = handler
        #: The writer, heartbeat and pump (and a transport being closed): run() stops them.
        self._tasks = Supervisor(f"session {peer.party}", on_failure=self._task_failed)
        #: Whether this session's pump sends the peer's messages. With several
        #: routes only the active route's session carries; the others stand by.
        self._carrying = carrying
        self._carrying_changed = asyncio.Event()
        #: The peer's latest heartbeat: (its sent_at_ms, our monotonic time on receipt).
        self._peer_beat: tuple[int, float] | None = None
        self._conn = proto.Connection(
            our_key=our_key,
            peer_key=transport.peer_key,
            versions=tuple(range(1, settings.protocol + 1)),
        )
        #: Set when a message is queued for this peer (see :meth:`wake`).
        self._wakeup = asyncio.Event()
        self._resumed = asyncio.Event()
        self._open = asyncio.Event()
        self._pump_after = 0
        self._last_resume_asked: int | None = None
        #: Set when the peer lost messages it had receipted: replay everything after it.
        self._replay_after: int | None = None
        #: (message id, when) of envelopes first written since the last commit.
        self._transmitted: list[tuple[str, SentMark]] = []
        # The write queue: frames in order, their total size, and two signals.
        self._output: list[bytes] = []
        self._output_bytes = 0
        self._has_output = asyncio.Event()
        self._drained = asyncio.Event()
        #: True while the writer task is sending: frames then wait their turn in _output.
        self._writer_busy = False
        self._closing = False
        self.close_reason = "open"
        self.opened = False
        #: When we last heard anything from the peer, heartbeats included (see last_heard).
        self._heard: datetime | None = None
        #: The same, on the monotonic clock (for the failover policy).
        self.heard_at: float | None = None
        #: When the last contact was last stored (monotonic); see _note_contact.
        self._contact_noted: float | None = None

    @property
    def last_heard(self) -> str | None:
        """When we last heard anything from the peer (UTC text), heartbeats included."""
        # Formatted when asked, not on every read: reads happen per burst slice.
        return None if self._heard is None else format_utc(self._heard)

    @property
    def dead_window(self) -> float:
        """Seconds of silence (or of a stalled write) after which the line is dead."""
        return self._settings.heartbeat_interval * self._settings.dead_after

    @property
    def write_stall_window(self) -> float:
        """Seconds a write may make no progress before the peer is presumed gone.

        Longer than the silence window: a live peer busy storing a large batch does
        not read for a while, and a dead one is caught by the silence timer first.
        """
        return max(4 * self.dead_window, 10.0)

    def wake(self) -> None:
        """A message was queued for this peer: let the pump look."""
        self._wakeup.set()

    @property
    def route(self) -> str:
        return self.transport.route

    @property
    def protocol(self) -> int | None:
        """The negotiated session protocol version; None until the hellos have passed.

        Version 2 answers a committed batch of envelopes with one receipt
        (docs/protocol/receipts.md §6); version 1 with one receipt per envelope.
        """
        return self._conn.version

    @property
    def carrying(self) -> bool:
        return self._carrying

    def set_carrying(self, carrying: bool) -> None:
        """Make this session carry the peer's traffic, or stand by.

        A session that starts carrying sends every message still without a
        receipt, from the first: some may have left on another route and been
        lost with it. The peer's inbox takes each serial once, and answers a
        duplicate with the receipt it already gave.
        """
        if carrying == self._carrying:
            return
        self._carrying = carrying
        if carrying:
            self._pump_after = 0
        self._carrying_changed.set()
        self._wakeup.set()

    def offer(self, record: MessageRecord) -> None:
        """A message for this peer was just stored: send it now, or wake the pump.

        If this session carries the line and its pump has sent everything
        before ``record`` (nothing pending, no replay, no backlog), the envelope
        goes out at once, saving the pump's store read and a pass of the event
        loop; otherwise the pump takes it in turn.
        """
        if (
            self._carrying
            and self.opened
            and not self._closing
            and self._resumed.is_set()
            and self._replay_after is None
            and record.serial == self._pump_after + 1
            and self._output_bytes <= HIGH_WATER
            and self._conn.state is proto.ConnectionState.OPEN
        ):
            self._pump_after = record.serial
            self._queue(proto.Data(envelope=record.envelope))
            if record.state is MessageState.QUEUED:
                self._transmitted.append(
                    (record.id, (record.serial, format_utc(self._clock.now())))
                )
            return
        self.wake()

    def resend(self, envelope: bytes) -> bool:
        """Send one stored envelope again on this session (an overdue message); False if closed.

        The peer takes it once: a duplicate is answered with the receipt it already gave.
        """
        if not self.opened or self._closing or self._conn.state is not proto.ConnectionState.OPEN:
            return False
        self._queue(proto.Data(envelope=envelope))
        return True

    def send_witness_request(self, request: proto.WitnessRequest) -> bool:
        """Ask the peer to cosign a checkpoint (docs/protocol/record.md); False if closed."""
        if not self.opened or self._closing or self._conn.state is not proto.ConnectionState.OPEN:
            return False
        self._queue(request)
        return True

    def send_link_test(self, envelope: bytes) -> None:
        """Send a TEST envelope on this session's route (LocalProtocolError if not open)."""
        if not self.opened or self._closing:
            raise LocalProtocolError("the session is not open")
        self._queue(proto.LinkTest(envelope=envelope))

    # -- writing ---------------------------------------------------------

    def _queue(self, *events: proto.Event) -> None:
        """Queue frames for the writer; never blocks. LocalProtocolError if the state forbids one.

        When nothing waits to be written and the writer is idle, the frames go
        straight to the transport (:meth:`Transport.write_now`): a receipt leaves
        the moment its commit is done, before the callbacks that follow it.
        """
        frames = [self._conn.send(event) for event in events]
        if not frames:
            return
        if not self._output and not self._writer_busy:
            data = frames[0] if len(frames) == 1 else b"".join(frames)
            if self.transport.write_now(data):
                return
        for frame in frames:
            self._output.append(frame)
            self._output_bytes += len(frame)
        self._has_output.set()

    async def _writer(self) -> None:
        while True:
            self._writer_busy = False
            await self._has_output.wait()
            self._writer_busy = True
            self._has_output.clear()
            while self._output:
                data = b"".join(self._output)
                self._output.clear()
                for start in range(0, len(data), WRITE_STEP):
                    step = data[start : start + WRITE_STEP]
                    try:
                        # asyncio.timeout, not wait_for: in 3.11 wait_for can swallow a
                        # cancellation that races with completion, and the session then
                        # never finishes closing.
                        async with asyncio.timeout(self.write_stall_window):
                            await self.transport.send(step)
                    except TimeoutError:
                        raise _WriteStalled(
                            f"the peer read nothing for {self.write_stall_window:g} s: "
                            "line presumed dead"
                        ) from None
                    self._output_bytes -= len(step)
                self._drained.set()

    async def _flush(self, within: float) -> None:
        """Wait (up to ``within`` seconds) until everything queued has been written."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                while self._output_bytes > 0:
                    self._drained.clear()
                    await self._drained.wait()

    # -- lifecycle -------------------------------------------------------

    async def run(self) -> str:
        """Run the session until it ends; return why it ended."""
        try:
            self._queue(self._conn.hello())
            for name, coroutine in (
                ("writer", self._writer()),
                ("heartbeat", self._heartbeat()),
                ("pump", self._pump()),
            ):
                self._tasks.spawn(coroutine, f"{name} {self.peer.party}")
            await self._read()
        except RemoteProtocolError as exc:
            self.close_reason = f"protocol error from peer: {exc}"
            self._journal_refusal("protocol", exc)
            await self._say_goodbye(CloseCode(exc.close_code), str(exc))
        except (ConnectionError, OSError) as exc:
            self.close_reason = f"connection lost: {str(exc) or type(exc).__name__}"
        except Exception as exc:
            # A bug or a store failure must end this session, not the terminal: the
            # peer redials, and nothing uncommitted was acknowledged.
            log.exception("session with %s failed", self.peer.party)
            self.close_reason = f"internal error: {type(exc).__name__}: {exc}"
            await self._say_goodbye(CloseCode.PROTOCOL_ERROR, "internal error")
        finally:
            if self._transmitted:
                with contextlib.suppress(Exception), self._store.transaction():
                    self._record_transmitted()
            try:
                await self._tasks.aclose()
            finally:
                # Even if this task is cancelled while its helpers stop (the terminal
                # stopping): aclose closes the socket before its first await.
                await self.transport.aclose()
        return self.close_reason

    async def _say_goodbye(self, code: CloseCode, reason: str) -> None:
        with contextlib.suppress(Exception):
            self._queue(proto.Close(code=code, reason=reason[:200]))
            await self._flush(within=1.0)

    def _task_failed(self, name: str, exc: BaseException) -> None:
        # A writer-side task that fails (stalled write, peer gone, state closed) ends
        # the whole session: closing the transport makes the reader see end of stream.
        if self.close_reason == "open":
            self.close_reason = (
                str(exc) if isinstance(exc, _WriteStalled) else f"send failed: {exc}"
            )
        if not self._tasks.closed:
            self._tasks.spawn(self.transport.aclose(), f"close {self.peer.party}")

    async def close(self, code: CloseCode, reason: str) -> None:
        """Tell the peer why, then end the session."""
        if self._closing:
            return
        self._closing = True
        self.close_reason = reason
        await self._say_goodbye(code, reason)
        await self.transport.aclose()

    # -- reader ----------------------------------------------------------

    async def _read(self) -> None:
        while True:
            try:
                data = await self._receive_or_silence()
            except TimeoutError:
                self.close_reason = f"nothing heard for {self.dead_window:g} s: line presumed dead"
                return
            if data:
                self._heard = self._clock.now()
                self.heard_at = self._clock.monotonic()
            self._conn.receive_data(data)
            if await self._handle_events():
                return

    async def _receive_or_silence(self) -> bytes:
        """The next bytes from the peer; TimeoutError after the dead window of silence.

        A timer cannot tell a silent peer from a terminal that was not
        listening. When this one fires late (the event loop was held up: a long
        fsync, a paused or overloaded machine), the peer's frames may be waiting
        unread, and a live peer's next heartbeat is at most one interval away:
        the session listens that long more before it calls the line dead. A
        timer that fires on time is believed at once.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.dead_window
        try:
            async with asyncio.timeout_at(deadline):
                return await self.transport.receive()
        except TimeoutError:
            if loop.time() - deadline <= LATE_TIMER:
                raise
        async with asyncio.timeout(self._settings.heartbeat_interval):
            return await self.transport.receive()

    async def _handle_events(self) -> bool:
        """Handle every event the connection has; True when the session is over."""
        envelopes: list[bytes] = []
        receipts: list[bytes] = []
        finished = False
        for event in self._conn.events():
            if isinstance(event, proto.Data):
                envelopes.append(event.envelope)
            elif isinstance(event, proto.Receipt):
                receipts.append(event.receipt)
            elif isinstance(event, proto.Heartbeat):
                self._heartbeat_received(event)
            elif isinstance(event, proto.LinkTest):
                answer = self._handler.link_test(self, event.envelope)
                if answer is not None and self._conn.state is proto.ConnectionState.OPEN:
                    self._queue(proto.LinkTestReceipt(receipt=answer))
            elif isinstance(event, proto.LinkTestReceipt):
                self._handler.link_test_receipt(self, event.receipt)
            elif isinstance(event, proto.WitnessRequest):
                reply = self._handler.witness_request(self, event)
                if reply is not None and self._conn.state is proto.ConnectionState.OPEN:
                    self._queue(reply)
            elif isinstance(event, proto.WitnessCosignature | proto.WitnessRefusal):
                self._handler.witness_answer(self, event)
            elif isinstance(event, proto.Resume):
                self._pump_after = (
                    min(self._pump_after, event.last_held) if self._resumed.is_set() else 0
                )
                self._check_behind(event)
                self._check_rewound(event.last_held)
                self._resumed.set()
                self._wakeup.set()
            elif isinstance(event, proto.Close):
                self.close_reason = f"closed by peer: {event.reason or event.code.name.lower()}"
                if not self._closing:
                    # Answer in kind, so the peer sees a clean end (docs/protocol/session.md).
                    self._closing = True
                    with contextlib.suppress(LocalProtocolError):
                        self._queue(proto.Close(code=CloseCode.NORMAL, reason="closing"))
            elif isinstance(event, proto.ConnectionClosed):
                if self.close_reason == "open":
                    self.close_reason = "closed by peer" if event.clean else "connection lost"
                finished = True
        if self._conn.state is proto.ConnectionState.OPEN and not self.opened:
            self._opened()
        while envelopes or receipts:
            # Slices keep each commit, and each stretch without yielding, bounded.
            take_envelopes = envelopes[:DELIVERY_SLICE]
            take_receipts = receipts[: DELIVERY_SLICE - len(take_envelopes)]
            del envelopes[: len(take_envelopes)]
            del receipts[: len(take_receipts)]
            self._deliver(take_envelopes, take_receipts)
            await asyncio.sleep(0)
        if self._closing and self._output_bytes:
            await self._flush(within=1.0)
        return finished or self._conn.state is proto.ConnectionState.CLOSED

    def _check_rewound(self, last_held: int) -> None:
        """Notice a peer that no longer holds messages it once receipted.

        That happens when its store was restored from an old backup or lost. The
        envelopes are still here, signed: they are replayed, receipted or not, so
        the peer's record is whole again. The receipts already held stay the record.
        """
        following = self._store.outgoing_after(self.peer.party, after_serial=last_held, limit=1)
        if not following or following[0].receipt is None:
            return
        if self._replay_after is None:
            log.warning(
                "%s holds messages from us only up to serial %d but had receipted serial %d: "
                "replaying from there",
                self.peer.party,
                last_held,
                following[0].serial,
            )
            self._store.append_journal(
                kind="peer rewound",
                at=format_utc(self._clock.now()),
                data={"peer": self.peer.party, "peer_holds": last_held},
            )
        self._replay_after = (
            last_held if self._replay_after is None else min(self._replay_after, last_held)
        )

    def _check_behind(self, resume: proto.Resume) -> None:
        """Notice that the peer holds more of our own direction than our store does.

        Our store was restored from an older backup: the messages we sent after
        it are delivered, and the peer holds them, but our next serial would
        collide with them (ReplayDetected, and the direction stalls for good).
        With the hash of the peer's last held envelope we adopt its position
        and continue our chain after it (delivery.md §5.1); without it (an
        older peer), or when our own envelope at that serial differs, we can
        only say so.
        """
        held = resume.last_held
        if held == 0:
            return
        party = self.peer.party
        next_serial, _ = self._store.next_outgoing_serial(party)
        ours = next_serial - 1
        if held <= ours:
            if resume.last_hash is None:
                return
            mine = self._store.outgoing_after(party, after_serial=held - 1, limit=1)
            if mine and mine[0].serial == held and mine[0].envelope_hash != resume.last_hash:
                self._handler.restored_behind(
                    self,
                    f"{party} holds a different message {held} from us than this store: "
                    f"messages {held} to {ours} queued here after a restore clash with "
                    "messages it already holds and will be refused. Restore the newest "
                    "backup, or stop and ask the peer's operators (delivery.md §5.1)",
                )
            return
        if resume.last_hash is None:
            self._handler.restored_behind(
                self,
                f"{party} holds our messages up to serial {held}, this store only up to "
                f"{ours} (restored from an older backup?), and its software does not say "
                "where our chain stands: nothing more can reach it until it is upgraded "
                "or the newest backup is restored",
            )
            return
        at = format_utc(self._clock.now())
        with self._store.transaction():
            self._store.adopt_outgoing_chain(
                ChainAdoption(
                    peer=party,
                    held_before=ours,
                    serial=held,
                    envelope_hash=resume.last_hash,
                    adopted_at=at,
                )
            )
            self._store.append_journal(
                kind="outgoing chain adopted",
                at=at,
                data={
                    "peer": party,
                    "held_here": ours,
                    "peer_holds": held,
                    "envelope_hash": resume.last_hash.hex(),
                },
            )
        log.warning(
            "%s holds our messages up to serial %d, this store only up to %d: "
            "continuing our chain after %d",
            party,
            held,
            ours,
            held,
        )
        self._handler.restored_behind(
            self,
            f"this store was restored from an older state: {held - ours} message(s) we sent "
            f"to {party} (serials {ours + 1} to {held}) were delivered but are not held here; "
            f"{party} holds them and their record. New messages continue at serial {held + 1}",
        )

    def _opened(self) -> None:
        self.opened = True
        self._open.set()
        last_serial, last_hash = self._store.last_incoming(self.peer.party)
        self._handler.opened(self)
        # The hash lets a peer restored from an older backup continue its chain
        # where we hold it (delivery.md §5.1).
        self._queue(
            proto.Resume(last_held=last_serial, last_hash=last_hash if last_serial else None)
        )

    def _deliver(self, envelopes: list[bytes], receipts: list[bytes]) -> None:
        with self._store.transaction():
            unwritten = self._take_transmitted()
            inbound = self._inbox.accept(
                peer=self.peer, envelopes=envelopes, batched=(self._conn.version or 1) >= 2
            )
            # A sent mark whose receipt is in this batch rides on the receipt's write.
            acknowledged = self._outbox.accept_receipts(
                peer=self.peer, receipts=receipts, transmitted=unwritten
            )
            self._write_transmitted(unwritten)
            self._note_contact()
        # Committed: only now may the peer learn that we hold its messages.
        for reason in (*inbound.refusals, *acknowledged.refusals):
            log.warning("%s", reason)
        for reason in (*inbound.revoked, *acknowledged.revoked):
            self._handler.revoked_key_used(self, reason)
        if self._conn.state is proto.ConnectionState.OPEN:
            # After a Close (theirs or ours) no more receipts may be sent; the
            # messages are stored, and their receipts go out again next session
            # when the peer resends them as duplicates.
            self._queue(*(proto.Receipt(receipt=r) for r in inbound.receipts))
            if inbound.resume_from is not None and inbound.resume_from != self._last_resume_asked:
                self._last_resume_asked = inbound.resume_from
                self._queue(proto.Resume(last_held=inbound.resume_from))
        if acknowledged.delivered:
            self._handler.delivered(acknowledged.delivered)
        if inbound.accepted:
            self._handler.received(inbound.accepted)

    def _note_contact(self) -> None:
        """Store the last contact with the peer, at most every CONTACT_EVERY seconds.

        It rides on a commit that happens anyway. The stored time is for status
        while the terminal is stopped; the live one is ``last_heard``, and the
        terminal stores that when the session ends.
        """
        now = self._clock.monotonic()
        if self._contact_noted is not None and now - self._contact_noted < CONTACT_EVERY:
            return
        self._contact_noted = now
        self._store.set_last_contact(self.peer.party, format_utc(self._clock.now()))

    def _heartbeat_received(self, beat: proto.Heartbeat) -> None:
        now = self._clock.monotonic()
        self._peer_beat = (beat.sent_at_ms, now)
        if beat.echo_ms is not None and beat.held_ms is not None:
            # Our own clock at both ends, minus the time the peer held our beat.
            rtt_ms = int(now * 1000) - beat.echo_ms - beat.held_ms
            self._handler.rtt(self, max(rtt_ms, 0) / 1000)

    # -- pump and heartbeat ----------------------------------------------

    async def _pump(self) -> None:
        await self._resumed.wait()
        while True:
            while not self._carrying:
                self._carrying_changed.clear()
                await self._carrying_changed.wait()
            while self._output_bytes > HIGH_WATER:
                self._drained.clear()
                await self._drained.wait()
            self._wakeup.clear()
            if self._replay_after is not None:
                batch = self._store.outgoing_after(
                    self.peer.party, after_serial=self._replay_after, limit=PUMP_BATCH
                )
                self._replay_after = batch[-1].serial if batch else None
                if batch:
                    # The pending ones among them go out again in the pending pass
                    # below: a duplicate is answered with its receipt, never stored twice.
                    self._queue(*(proto.Data(envelope=m.envelope) for m in batch))
                    await asyncio.sleep(0)
                    continue
            batch = self._store.pending_outgoing(
                self.peer.party, after_serial=self._pump_after, limit=PUMP_BATCH
            )
            if not batch:
                await self._wakeup.wait()
                continue
            self._pump_after = batch[-1].serial
            self._queue(*(proto.Data(envelope=m.envelope) for m in batch))
            stamp = format_utc(self._clock.now())
            self._transmitted.extend(
                (m.id, (m.serial, stamp)) for m in batch if m.state is MessageState.QUEUED
            )
            await asyncio.sleep(0)

    def _record_transmitted(self) -> None:
        """Write the queued → sent transitions noted since the last call (inside a transaction).

        They ride on the next commit that happens anyway (a batch of receipts, or
        the heartbeat's), instead of costing an fsync of their own on the path to
        delivery. Losing them in a crash is harmless: "sent" only says the
        envelope left once, and every unreceipted envelope is sent again anyway.
        """
        self._write_transmitted(self._take_transmitted())

    def _take_transmitted(self) -> dict[str, SentMark]:
        """The sent marks noted since the last call, by message id (the first time each)."""
        noted, self._transmitted = self._transmitted, []
        first: dict[str, SentMark] = {}
        for message_id, mark in noted:
            first.setdefault(message_id, mark)
        return first

    def _write_transmitted(self, marks: dict[str, SentMark]) -> None:
        write_transmitted(self._store, marks)

    async def _heartbeat(self) -> None:
        interval = self._settings.heartbeat_interval
        await self._open.wait()
        while True:
            await asyncio.sleep(interval)
            if self._transmitted:
                with self._store.transaction():
                    self._record_transmitted()
            now = self._clock.monotonic()
            echo = held = None
            if self._peer_beat is not None:
                echo = self._peer_beat[0]
                held = max(int((now - self._peer_beat[1]) * 1000), 0)
            try:
                self._queue(proto.Heartbeat(sent_at_ms=int(now * 1000), echo_ms=echo, held_ms=held))
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
