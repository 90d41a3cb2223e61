"""Two real sessions joined by an in-memory link: delivery, receipts, dead lines, RESUME.

Each side is a real terminal directory (store, identity, inbox, outbox) with a
:class:`~hotline.testing.FakeClock` for its timestamps; the byte pipe between
them is :func:`hotline.testing.memory_link`, sometimes wrapped in a
:class:`Tap` that records (and can drop) the frames one side sends. Every test
runs on :func:`hotline.testing.run_virtual`: heartbeats and dead-line timers
fire at their virtual deadlines, so the timings asserted are exact.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hotline import proto
from hotline.crypto import Envelope, Receipt, verify_receipt
from hotline.link import Transport
from hotline.proto import CloseCode
from hotline.store import Direction, MessageState, PeerRecord
from hotline.terminal import open_terminal, verify_store
from hotline.terminal.config import LinkSettings, TerminalFiles
from hotline.terminal.core.inbox import Inbox
from hotline.terminal.core.outbox import Outbox
from hotline.terminal.core.session import Session, SessionHandler
from hotline.testing import FakeClock, MemoryTransport, VirtualTimeLoop, memory_link, run_virtual
from hotline.utc import format_utc
from tests.terminal.helpers import FAST_LINK, make_pair, refusals, wait_until

#: For sessions facing a hand-driven peer that sends no heartbeats: 2 s of silence.
PATIENT = LinkSettings(heartbeat_interval=0.05, dead_after=40)


class _Recorder(SessionHandler):
    """Notes sessions opened and messages delivered on ``side``."""

    def __init__(self, side: Side) -> None:
        self._side = side

    def opened(self, session: Session) -> None:
        self._side.opened.append(session)

    def delivered(self, message_ids: tuple[str, ...]) -> None:
        self._side.delivered.extend(message_ids)


@dataclass
class Side:
    """One terminal's half of the conversation, without a daemon."""

    files: TerminalFiles
    peer: PeerRecord
    clock: FakeClock
    inbox: Inbox
    outbox: Outbox
    sessions: list[Session] = field(default_factory=list)
    opened: list[Session] = field(default_factory=list)
    delivered: list[str] = field(default_factory=list)

    @property
    def key(self) -> bytes:
        return self.files.identity.signing_public

    def session(self, transport: Transport, settings: LinkSettings = FAST_LINK) -> Session:
        session = Session(
            transport=transport,
            peer=self.peer,
            our_key=self.key,
            store=self.files.store,
            inbox=self.inbox,
            outbox=self.outbox,
            clock=self.clock,
            settings=settings,
            handler=_Recorder(self),
        )
        self.sessions.append(session)
        return session

    def queue(self, text: str) -> str:
        record = self.outbox.queue(peer=self.peer, text=text)
        for session in self.sessions:
            session.wake()
        return record.id

    def received(self) -> list[str]:
        messages = self.files.store.iter_messages(peer=self.peer.party, direction=Direction.IN)
        return [m.text for m in messages]

    def pending(self) -> int:
        return self.files.store.count_pending(self.peer.party)

    def state_of(self, message_id: str) -> MessageState:
        message = self.files.store.get_message(message_id)
        assert message is not None
        return message.state


@dataclass
class Pair:
    washington: Side
    moscow: Side

    def link(self) -> tuple[MemoryTransport, MemoryTransport]:
        """A fresh memory link: (Washington's end, Moscow's end)."""
        return memory_link(dialer_key=self.washington.key, listener_key=self.moscow.key)

    def close(self) -> None:
        for side in (self.washington, self.moscow):
            side.files.store.close()


def _side(directory: Path, peer: str) -> Side:
    files = open_terminal(directory)
    record = files.store.get_peer(peer)
    assert record is not None
    clock = FakeClock()
    return Side(
        files=files,
        peer=record,
        clock=clock,
        inbox=Inbox(store=files.store, identity=files.identity, clock=clock),
        outbox=Outbox(store=files.store, identity=files.identity, clock=clock),
    )


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[Pair]:
    washington_dir, moscow_dir = make_pair(tmp_path)
    opened = Pair(
        washington=_side(washington_dir, "Moscow"), moscow=_side(moscow_dir, "Washington")
    )
    yield opened
    opened.close()


class Tap(Transport):
    """A transport wrapper that records the frames sent through it and can drop some.

    ``Session`` hands each ``send`` whole frames, so they can be decoded here.
    """

    def __init__(
        self, inner: Transport, *, drop: Callable[[proto.Frame], bool] = lambda _frame: False
    ) -> None:
        self.inner = inner
        self.peer_key = inner.peer_key
        self.peer_address = inner.peer_address
        self.dialed = inner.dialed
        self.route = inner.route
        self.drop = drop
        self.sent: list[proto.Frame] = []
        self.dropped: list[proto.Frame] = []

    async def send(self, data: bytes) -> None:
        reader = proto.FrameReader()
        reader.feed(data)
        kept: list[bytes] = []
        while (frame := reader.next_frame()) is not None:
            if self.drop(frame):
                self.dropped.append(frame)
            else:
                self.sent.append(frame)
                kept.append(proto.encode_frame(frame))
        assert reader.buffered == 0, "a send ended inside a frame"
        if kept:
            await self.inner.send(b"".join(kept))

    async def receive(self) -> bytes:
        return await self.inner.receive()

    async def aclose(self) -> None:
        await self.inner.aclose()

    def data_sent(self) -> list[bytes]:
        return [frame.envelope for frame in self.sent if isinstance(frame, proto.Data)]


async def _run_both(first: Session, second: Session) -> tuple[asyncio.Task[str], asyncio.Task[str]]:
    return asyncio.create_task(first.run()), asyncio.create_task(second.run())


async def _finish(*tasks: asyncio.Task[str]) -> list[str]:
    return list(await asyncio.wait_for(asyncio.gather(*tasks), 5.0))


def test_messages_flow_both_ways_in_order_with_receipts(pair: Pair) -> None:
    washington, moscow = pair.washington, pair.moscow
    early = [washington.queue(f"W{i}") for i in range(3)]
    late: list[str] = []
    answers: list[str] = []

    async def main() -> None:
        w_end, m_end = pair.link()
        w_session, m_session = washington.session(w_end), moscow.session(m_end)
        tasks = await _run_both(w_session, m_session)
        await wait_until(lambda: w_session.opened and m_session.opened, what="both open")
        late.extend(washington.queue(f"W{i}") for i in range(3, 5))
        answers.extend(moscow.queue(f"M{i}") for i in range(4))
        await wait_until(
            lambda: washington.pending() == 0 and moscow.pending() == 0, what="all receipted"
        )
        for message_id in early + late:
            assert washington.state_of(message_id) is MessageState.DELIVERED
        for message_id in answers:
            assert moscow.state_of(message_id) is MessageState.DELIVERED
        await w_session.close(CloseCode.NORMAL, "end of exercise")
        reasons = await _finish(*tasks)
        assert reasons[0] == "end of exercise"
        assert reasons[1] == "closed by peer: end of exercise"

    run_virtual(main())
    assert moscow.received() == [f"W{i}" for i in range(5)]
    assert washington.received() == [f"M{i}" for i in range(4)]
    # on_delivered heard of each receipt once, after its commit.
    assert sorted(washington.delivered) == sorted(early + late)
    assert sorted(moscow.delivered) == sorted(answers)
    for side, sent, received in ((washington, 5, 4), (moscow, 4, 5)):
        assert [s.peer.party for s in side.opened] == [side.peer.party]
        report = verify_store(side.files.store, side.files.identity)
        assert report.ok, report.summary()
        assert (report.sent, report.received, report.receipts) == (sent, received, 9)
        assert refusals(side.files.store) == []


def test_timestamps_come_from_the_injected_clock(pair: Pair) -> None:
    washington, moscow = pair.washington, pair.moscow
    washington.clock.advance(3600)
    message_id = washington.queue("stamped")

    async def main() -> None:
        w_end, m_end = pair.link()
        w_session, m_session = washington.session(w_end), moscow.session(m_end)
        tasks = await _run_both(w_session, m_session)
        await wait_until(lambda: washington.pending() == 0, what="the receipt")
        assert m_session.last_heard == format_utc(moscow.clock.now())
        await m_session.close(CloseCode.NORMAL, "done")
        await _finish(*tasks)

    run_virtual(main())
    sent = washington.files.store.get_message(message_id)
    held = moscow.files.store.get_message(message_id)
    assert sent is not None
    assert held is not None
    assert sent.sent_at == format_utc(washington.clock.now())
    assert held.delivered_at == format_utc(moscow.clock.now())
    assert sent.delivered_at == held.delivered_at  # taken from Moscow's signed receipt


def test_a_just_stored_message_leaves_at_once_when_the_pump_has_caught_up(pair: Pair) -> None:
    washington, moscow = pair.washington, pair.moscow

    async def main() -> None:
        w_end, m_end = pair.link()
        w_session, m_session = washington.session(w_end), moscow.session(m_end)
        tasks = await _run_both(w_session, m_session)
        washington.queue("first")
        await wait_until(lambda: washington.pending() == 0, what="the first receipt")
        store = washington.files.store
        record = washington.outbox.queue(peer=washington.peer, text="second")
        before = w_end.bytes_sent
        w_session.offer(record)
        assert w_end.bytes_sent > before  # written synchronously: no pump, no store read
        # The pump is behind (a message it has not seen): offer only wakes it, and
        # the pump sends both in serial order.
        behind = washington.outbox.queue(peer=washington.peer, text="third")
        last = washington.outbox.queue(peer=washington.peer, text="fourth")
        before = w_end.bytes_sent
        w_session.offer(last)
        assert w_end.bytes_sent == before
        await wait_until(lambda: washington.pending() == 0, what="all receipts")
        assert store.get_message(behind.id) is not None
        await m_session.close(CloseCode.NORMAL, "done")
        await _finish(*tasks)

    run_virtual(main())
    assert moscow.received() == ["first", "second", "third", "fourth"]


@pytest.mark.parametrize("protocol", [1, 2])
def test_a_sent_mark_rides_on_the_receipt_that_arrives_before_it_is_written(
    pair: Pair, monkeypatch: pytest.MonkeyPatch, protocol: int
) -> None:
    """Protocol 1: the receipt's own UPDATE writes the mark. Protocol 2: a batch receipt
    delivers a range with one statement per run of serials sent at one time, and that
    statement writes their marks too: no UPDATE of their own in either case."""
    washington, moscow = pair.washington, pair.moscow
    store = washington.files.store
    marked: list[list[str]] = []
    real_mark, real_many = store.mark_transmitted, store.mark_transmitted_many

    def mark_transmitted(message_id: str, at: str) -> None:
        marked.append([message_id])
        real_mark(message_id, at)

    def mark_transmitted_many(message_ids: Sequence[str], at: str) -> None:
        marked.append(list(message_ids))
        real_many(message_ids, at)

    monkeypatch.setattr(store, "mark_transmitted", mark_transmitted)
    monkeypatch.setattr(store, "mark_transmitted_many", mark_transmitted_many)
    settings = dataclasses.replace(FAST_LINK, protocol=protocol)

    async def main() -> str:
        w_end, m_end = pair.link()
        w_session = washington.session(w_end, settings)
        m_session = moscow.session(m_end, settings)
        tasks = await _run_both(w_session, m_session)
        await wait_until(lambda: w_session.opened and m_session.opened, what="both open")
        record = washington.outbox.queue(peer=washington.peer, text="one write fewer")
        w_session.offer(record)  # sent here and now; its sent mark waits for a commit
        await wait_until(lambda: washington.pending() == 0, what="the receipt")
        await m_session.close(CloseCode.NORMAL, "done")
        await _finish(*tasks)
        return record.id

    message_id = run_virtual(main())
    sent = store.get_message(message_id)
    assert sent is not None
    assert sent.state is MessageState.DELIVERED
    assert sent.transmitted_at == format_utc(washington.clock.now())
    assert marked == []  # written with the receipt, not by an UPDATE of its own


def test_last_contact_is_stored_at_most_once_a_second(pair: Pair) -> None:
    washington, moscow = pair.washington, pair.moscow
    stored: list[str | None] = []

    async def main() -> None:
        w_end, m_end = pair.link()
        w_session, m_session = washington.session(w_end), moscow.session(m_end)
        tasks = await _run_both(w_session, m_session)
        for step, advance in enumerate((0.0, 0.3, 0.3, 0.6)):  # the last one past 1 s
            moscow.clock.advance(advance)
            washington.queue(f"W{step}")
            await wait_until(lambda: washington.pending() == 0, what="the receipt")
            stored.append(moscow.files.store.last_contact("Washington"))
        await m_session.close(CloseCode.NORMAL, "done")
        await _finish(*tasks)

    first = format_utc(moscow.clock.now())
    run_virtual(main())
    # Stored with the first delivery, unchanged within the second, then again.
    assert stored == [first, first, first, format_utc(moscow.clock.now())]


@pytest.mark.parametrize("dead_after", [3, 6])
def test_severed_link_is_declared_dead_after_dead_after_heartbeats(
    pair: Pair, dead_after: int
) -> None:
    settings = LinkSettings(heartbeat_interval=0.05, dead_after=dead_after)
    silence = settings.heartbeat_interval * dead_after

    async def main() -> None:
        w_end, m_end = pair.link()
        w_session = pair.washington.session(w_end, settings)
        m_session = pair.moscow.session(m_end, settings)
        tasks = await _run_both(w_session, m_session)
        await wait_until(lambda: w_session.opened and m_session.opened, what="both open")
        await asyncio.sleep(0.12)  # a few heartbeats pass while the line is alive
        assert w_session.close_reason == "open"
        loop = asyncio.get_running_loop()
        severed_at = loop.time()
        w_end.sever()
        w_reason = await asyncio.wait_for(tasks[0], 5)
        elapsed = loop.time() - severed_at
        assert w_reason == f"nothing heard for {silence:g} s: line presumed dead"
        # The last heartbeat heard came at most one interval before the cut.
        assert silence - settings.heartbeat_interval - 1e-9 <= elapsed <= silence + 1e-9
        await asyncio.wait_for(tasks[1], 5)

    run_virtual(main())


def test_far_end_of_a_severed_link_also_presumes_the_line_dead(pair: Pair) -> None:
    async def main() -> None:
        w_end, m_end = pair.link()
        w_session, m_session = pair.washington.session(w_end), pair.moscow.session(m_end)
        tasks = await _run_both(w_session, m_session)
        await wait_until(lambda: w_session.opened and m_session.opened, what="both open")
        w_end.sever()
        reasons = await _finish(*tasks)
        assert reasons[1] == "nothing heard for 0.15 s: line presumed dead"

    run_virtual(main())


def test_silent_peer_is_declared_dead(pair: Pair) -> None:
    """A black-holed route: Washington's frames vanish and nothing reports an error."""

    async def main() -> None:
        w_end, m_end = pair.link()
        silenced = False
        tap = Tap(w_end, drop=lambda _frame: silenced)
        w_session, m_session = pair.washington.session(tap), pair.moscow.session(m_end)
        tasks = await _run_both(w_session, m_session)
        await wait_until(lambda: w_session.opened and m_session.opened, what="both open")
        silenced = True
        loop = asyncio.get_running_loop()
        started = loop.time()
        m_reason = await asyncio.wait_for(tasks[1], 5)
        assert m_reason == "nothing heard for 0.15 s: line presumed dead"
        # The last heartbeat got through at most one interval before the silence.
        assert 0.15 - 0.05 - 1e-9 <= loop.time() - started <= 0.15 + 1e-9
        assert any(isinstance(frame, proto.Heartbeat) for frame in tap.dropped)
        await _finish(tasks[0])

    run_virtual(main())


def test_a_terminal_held_up_longer_than_the_dead_window_does_not_call_a_live_line_dead(
    pair: Pair,
) -> None:
    """A blocked event loop (a long fsync, a paused machine) is not a silent peer."""
    silence = FAST_LINK.heartbeat_interval * FAST_LINK.dead_after

    async def main() -> None:
        w_end, m_end = pair.link()
        w_session, m_session = pair.washington.session(w_end), pair.moscow.session(m_end)
        tasks = await _run_both(w_session, m_session)
        await wait_until(lambda: w_session.opened and m_session.opened, what="both open")
        await asyncio.sleep(0.06)
        # Hold the loop up on purpose: nobody listens, nobody beats, both timers fire late.
        loop = asyncio.get_running_loop()
        assert isinstance(loop, VirtualTimeLoop)
        loop.stall(3 * silence)
        await asyncio.sleep(4 * FAST_LINK.heartbeat_interval)
        assert (w_session.close_reason, m_session.close_reason) == ("open", "open")
        message = pair.washington.queue("after the stall")
        await wait_until(
            lambda: pair.washington.state_of(message) is MessageState.DELIVERED,
            what="delivered after the stall",
        )
        # A peer that really is silent is still caught, on time or one beat late.
        w_end.sever()
        reasons = await _finish(*tasks)
        assert reasons == [f"nothing heard for {silence:g} s: line presumed dead"] * 2

    run_virtual(main())


def test_resume_resends_exactly_the_unreceipted_messages(pair: Pair) -> None:
    washington, moscow = pair.washington, pair.moscow

    async def session_pair(
        *, drop_receipts: bool = False
    ) -> tuple[Session, Session, Tap, Tap, tuple[asyncio.Task[str], asyncio.Task[str]]]:
        w_end, m_end = pair.link()
        w_tap = Tap(w_end)
        m_tap = Tap(m_end, drop=lambda frame: drop_receipts and isinstance(frame, proto.Receipt))
        w_session, m_session = washington.session(w_tap), moscow.session(m_tap)
        tasks = await _run_both(w_session, m_session)
        await wait_until(lambda: w_session.opened and m_session.opened, what="both open")
        return w_session, m_session, w_tap, m_tap, tasks

    async def main() -> None:
        # Link 1: two messages, both receipted.
        first = [washington.queue("one"), washington.queue("two")]
        w_session, _, _, _, tasks = await session_pair()
        await wait_until(lambda: washington.pending() == 0, what="link 1 receipts")
        await w_session.close(CloseCode.NORMAL, "link 1 done")
        await _finish(*tasks)

        # Link 2: Moscow stores "three", but its receipt is lost on the way back.
        w_session, _, _, m_tap, tasks = await session_pair(drop_receipts=True)
        three = washington.queue("three")
        await wait_until(lambda: moscow.received()[-1:] == ["three"], what="three stored")
        await wait_until(lambda: bool(m_tap.dropped), what="the lost receipt")
        # "sent" is recorded with the next commit (at the latest the next heartbeat's).
        await wait_until(
            lambda: washington.state_of(three) is MessageState.SENT, what="three marked sent"
        )
        await w_session.close(CloseCode.NORMAL, "link 2 done")
        await _finish(*tasks)

        # While the line is down, "four" is queued.
        four = washington.queue("four")
        assert washington.state_of(four) is MessageState.QUEUED

        # Link 3: Moscow's RESUME says it holds serial 3; Washington resends what
        # has no receipt, oldest first: "three" again and "four", nothing else.
        w_session, m_session, w_tap, m_tap, tasks = await session_pair()
        await wait_until(lambda: washington.pending() == 0, what="link 3 receipts")
        assert [
            (e.last_held, e.last_hash is not None)
            for e in m_tap.sent
            if isinstance(e, proto.Resume)
        ] == [(3, True)]
        resent = [Envelope.decode(raw).header.message_id for raw in w_tap.data_sent()]
        assert resent == [three, four]
        assert all(washington.state_of(m) is MessageState.DELIVERED for m in [*first, three, four])
        # The duplicate "three" was answered with the receipt Moscow stored on link 2.
        held = moscow.files.store.get_message(three)
        got = washington.files.store.get_message(three)
        assert held is not None
        assert got is not None
        assert got.receipt == held.receipt
        await m_session.close(CloseCode.NORMAL, "link 3 done")
        await _finish(*tasks)

    run_virtual(main())
    # Stored once each, in serial order, and every record verifies.
    assert moscow.received() == ["one", "two", "three", "four"]
    for side in (washington, moscow):
        report = verify_store(side.files.store, side.files.identity)
        assert report.ok, report.summary()
        assert refusals(side.files.store) == []


class HandPeer:
    """Moscow's end of a memory link, driven by hand with a sans-IO Connection."""

    def __init__(self, transport: MemoryTransport, our_key: bytes, peer_key: bytes) -> None:
        self.transport = transport
        self.connection = proto.Connection(our_key=our_key, peer_key=peer_key)
        self.pending: list[proto.Event] = []

    async def send(self, *events: proto.Event) -> None:
        await self.transport.send(b"".join(self.connection.send(e) for e in events))

    async def open(self) -> None:
        """Hellos both ways, then our RESUME (we hold nothing)."""
        await self.send(self.connection.hello())
        await self.next(proto.Hello)
        await self.send(proto.Resume(last_held=0))

    async def next_envelope(self) -> bytes:
        data = await self.next(proto.Data)
        assert isinstance(data, proto.Data)
        return data.envelope

    async def next(self, kind: type[proto.Event]) -> proto.Event:
        while True:
            while self.pending:
                event = self.pending.pop(0)
                if isinstance(event, kind):
                    return event
            data = await asyncio.wait_for(self.transport.receive(), 5)
            self.connection.receive_data(data)
            self.pending.extend(self.connection.events())


def test_resume_during_a_session_rewinds_to_the_unreceipted(pair: Pair) -> None:
    washington, moscow = pair.washington, pair.moscow
    sent = [washington.queue("first"), washington.queue("second")]

    async def main() -> None:
        w_end, hand_end = pair.link()
        hand = HandPeer(hand_end, moscow.key, washington.key)
        session = washington.session(w_end, PATIENT)
        task = asyncio.create_task(session.run())
        await hand.open()
        # The hand peer plays Moscow but sends no receipts: a second RESUME
        # must make Washington send both envelopes again, in the same order.
        first_round = [await hand.next_envelope() for _ in sent]
        assert [Envelope.decode(raw).header.message_id for raw in first_round] == sent
        await hand.send(proto.Resume(last_held=0))
        second_round = [await hand.next_envelope() for _ in sent]
        assert second_round == first_round
        await wait_until(
            lambda: all(washington.state_of(m) is MessageState.SENT for m in sent),
            what="both marked sent",
        )
        await hand.send(proto.Close(code=CloseCode.NORMAL, reason="bye"))
        await hand.transport.aclose()
        assert await asyncio.wait_for(task, 5) == "closed by peer: bye"

    run_virtual(main())


def test_incoming_duplicates_are_receipted_from_the_store(pair: Pair) -> None:
    washington, moscow = pair.washington, pair.moscow
    message_id = washington.queue("say it twice")
    envelope = washington.files.store.get_message(message_id)
    assert envelope is not None

    async def main() -> None:
        hand_end, m_end = pair.link()
        hand = HandPeer(hand_end, washington.key, moscow.key)
        session = moscow.session(m_end, PATIENT)
        task = asyncio.create_task(session.run())
        await hand.open()
        receipts = []
        for _ in range(3):
            await hand.send(proto.Data(envelope=envelope.envelope))
            receipt = await hand.next(proto.Receipt)
            assert isinstance(receipt, proto.Receipt)
            receipts.append(receipt.receipt)
        assert receipts[0] == receipts[1] == receipts[2]
        verify_receipt(
            Receipt.decode(receipts[0]),
            envelope=Envelope.decode(envelope.envelope),
            recipient_signing_key=moscow.key,
        )
        await hand.send(proto.Close(code=CloseCode.NORMAL, reason="bye"))
        await hand.transport.aclose()
        await asyncio.wait_for(task, 5)

    run_virtual(main())
    assert moscow.received() == ["say it twice"]
    held = moscow.files.store.get_message(message_id)
    assert held is not None
    assert held.receipt is not None


def test_protocol_violation_is_journaled_and_closed(pair: Pair) -> None:
    washington, moscow = pair.washington, pair.moscow

    async def main() -> None:
        hand_end, m_end = pair.link()
        session = moscow.session(m_end)
        task = asyncio.create_task(session.run())
        # A data frame before any hello breaks the protocol.
        raw = proto.encode_frame(proto.Data(envelope=b"\x00"))
        await hand_end.send(raw)
        reason = await asyncio.wait_for(task, 5)
        assert reason.startswith("protocol error from peer")
        reader = proto.FrameReader()
        with contextlib.suppress(TimeoutError):
            while data := await asyncio.wait_for(hand_end.receive(), 1):
                reader.feed(data)
        frames = []
        while (frame := reader.next_frame()) is not None:
            frames.append(frame)
        assert isinstance(frames[0], proto.Hello)
        assert isinstance(frames[-1], proto.Close)
        assert frames[-1].code is CloseCode.PROTOCOL_ERROR

    run_virtual(main())
    [entry] = refusals(moscow.files.store)
    assert entry.data["what"] == "protocol"
    assert entry.data["peer"] == washington.files.settings.party
