"""MessageStore and AcknowledgementStore: serials, states, receipts, queries, round trips."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotline.errors import StoreError, UnknownPeer
from hotline.store import ZERO_HASH, Direction, MessageRecord, MessageState, Store
from hotline.testing.store_conformance._fixtures import T0, at, make_ack, make_message
from hotline.utc import format_utc

__all__ = [
    "TestAcknowledgements",
    "TestIncoming",
    "TestMessageRoundTrip",
    "TestOutgoing",
    "TestQueries",
    "iterate_while_writing",
]


def iterate_while_writing(store: Store) -> list[int]:
    """Walk moscow's outgoing messages, storing one more and a receipt after the first.

    Returns the serials seen. The daemon may append while a verify walks the
    same store's data.
    """
    for serial in range(1, 4):
        store.add_outgoing(make_message(serial))
    seen = []
    for message in store.iter_messages(peer="moscow", direction=Direction.OUT):
        seen.append(message.serial)
        if message.serial == 1:
            store.add_outgoing(make_message(4))
            store.add_delivery_receipt("moscow-out-3", b"r", T0)
    return seen


class TestOutgoing:
    """Outgoing serials chain; QUEUED → SENT → DELIVERED, each mark written once."""

    def test_outgoing_counts_say_where_each_message_stands(self, peered: Store) -> None:
        assert peered.outgoing_counts("moscow") == {
            "queued": 0,
            "sent": 0,
            "delivered": 0,
            "acknowledged": 0,
        }
        for serial in range(1, 6):
            peered.add_outgoing(make_message(serial))
        peered.mark_transmitted("moscow-out-2", at(20))
        for serial in (3, 4, 5):
            peered.add_delivery_receipt(f"moscow-out-{serial}", b"r", at(30))
        peered.add_acknowledgement(make_ack("moscow-out-5", direction="received"))
        # An acknowledgement we gave is of an incoming message: not counted here.
        peered.add_incoming(make_message(1, Direction.IN))
        peered.add_acknowledgement(make_ack("moscow-in-1", direction="given"))
        assert peered.outgoing_counts("moscow") == {
            "queued": 1,
            "sent": 1,
            "delivered": 2,
            "acknowledged": 1,
        }

    def test_outgoing_serials_chain(self, peered: Store) -> None:
        assert peered.next_outgoing_serial("moscow") == (1, ZERO_HASH)
        first = make_message(1)
        peered.add_outgoing(first)
        assert peered.next_outgoing_serial("moscow") == (2, first.envelope_hash)
        second = make_message(2)
        peered.add_outgoing(second)
        assert peered.next_outgoing_serial("moscow") == (3, second.envelope_hash)
        # Serials are per peer, and incoming ones do not count.
        assert peered.next_outgoing_serial("beijing") == (1, ZERO_HASH)
        peered.add_incoming(make_message(1, Direction.IN))
        assert peered.next_outgoing_serial("moscow")[0] == 3

    @pytest.mark.parametrize(
        ("message", "error", "match"),
        [
            (make_message(2), StoreError, "must be 1, not 2"),
            (make_message(1, Direction.IN), StoreError, "is in, not out"),
            (make_message(1, peer="paris"), UnknownPeer, "paris"),
        ],
    )
    def test_add_outgoing_refuses(
        self, peered: Store, message: MessageRecord, error: type[Exception], match: str
    ) -> None:
        with pytest.raises(error, match=match):
            peered.add_outgoing(message)
        assert peered.list_messages() == []

    def test_add_outgoing_refuses_repeats(self, peered: Store) -> None:
        peered.add_outgoing(make_message(1))
        with pytest.raises(StoreError, match="must be 2, not 1; serial 1 is already held"):
            peered.add_outgoing(make_message(1, id="another"))
        with pytest.raises(StoreError, match="already stored"):
            peered.add_outgoing(make_message(2, id="moscow-out-1"))
        with pytest.raises(StoreError, match="MessageRecord"):
            peered.add_outgoing("not a record")  # type: ignore[arg-type]
        assert [m.id for m in peered.list_messages()] == ["moscow-out-1"]

    def test_mark_transmitted(self, peered: Store) -> None:
        peered.add_outgoing(make_message(1))
        peered.mark_transmitted("moscow-out-1", at(20))
        sent = peered.get_message("moscow-out-1")
        assert sent is not None
        assert (sent.state, sent.transmitted_at) == (MessageState.SENT, at(20))
        peered.mark_transmitted("moscow-out-1", at(30))  # the first write's time stays
        assert peered.get_message("moscow-out-1") == sent
        peered.add_delivery_receipt("moscow-out-1", b"receipt", at(40))
        peered.mark_transmitted("moscow-out-1", at(50))
        delivered = peered.get_message("moscow-out-1")
        assert delivered is not None
        assert (delivered.state, delivered.transmitted_at) == (MessageState.DELIVERED, at(20))

    def test_mark_transmitted_refuses(self, peered: Store) -> None:
        peered.add_incoming(make_message(1, Direction.IN))
        with pytest.raises(StoreError, match="no message"):
            peered.mark_transmitted("nope", T0)
        with pytest.raises(StoreError, match="incoming"):
            peered.mark_transmitted("moscow-in-1", T0)
        peered.add_outgoing(make_message(1))
        with pytest.raises(StoreError, match="at"):
            peered.mark_transmitted("moscow-out-1", "2026-11-22")
        assert peered.get_message("moscow-out-1") == make_message(1)

    def test_mark_transmitted_many(self, peered: Store) -> None:
        peered.mark_transmitted_many([], at(10))
        peered.add_outgoing_many([make_message(serial) for serial in (1, 2, 3)])
        peered.mark_transmitted("moscow-out-1", at(20))
        peered.mark_transmitted_many(["moscow-out-1", "moscow-out-2", "moscow-out-2"], at(30))
        states = {
            m.id: (m.state, m.transmitted_at) for m in peered.list_messages(direction=Direction.OUT)
        }
        assert states == {
            "moscow-out-1": (MessageState.SENT, at(20)),  # the first write's time stays
            "moscow-out-2": (MessageState.SENT, at(30)),
            "moscow-out-3": (MessageState.QUEUED, None),
        }
        # All or none: an unknown or incoming id undoes the marks before it.
        peered.add_incoming(make_message(1, Direction.IN))
        for bad, match in (("nope", "no message"), ("moscow-in-1", "incoming")):
            with pytest.raises(StoreError, match=match):
                peered.mark_transmitted_many(["moscow-out-3", bad], at(40))
        with pytest.raises(StoreError, match="at"):
            peered.mark_transmitted_many(["moscow-out-3"], "2026-11-22")
        assert peered.get_message("moscow-out-3") == make_message(3)

    def test_delivery_receipt_once(self, peered: Store) -> None:
        peered.add_outgoing(make_message(1))
        assert peered.add_delivery_receipt("moscow-out-1", b"first receipt", at(7)) is True
        assert peered.add_delivery_receipt("moscow-out-1", b"second receipt", at(8)) is False
        stored = peered.get_message("moscow-out-1")
        assert stored == replace(
            make_message(1),
            state=MessageState.DELIVERED,
            receipt=b"first receipt",
            delivered_at=at(7),
        )

    def test_a_delivery_receipt_carries_a_sent_mark_not_yet_written(self, peered: Store) -> None:
        peered.add_outgoing(make_message(1))
        peered.add_delivery_receipt("moscow-out-1", b"receipt", at(7), transmitted_at=at(5))
        stored = peered.get_message("moscow-out-1")
        assert stored is not None
        assert (stored.state, stored.transmitted_at, stored.delivered_at) == (
            MessageState.DELIVERED,
            at(5),
            at(7),
        )
        peered.add_outgoing(make_message(2))
        peered.mark_transmitted("moscow-out-2", at(10))  # a mark already written stays
        peered.add_delivery_receipt("moscow-out-2", b"receipt", at(12), transmitted_at=at(11))
        second = peered.get_message("moscow-out-2")
        assert second is not None
        assert second.transmitted_at == at(10)
        with pytest.raises(StoreError, match="transmitted_at"):
            peered.add_delivery_receipt("moscow-out-2", b"r", at(13), transmitted_at="soon")

    def test_delivery_receipt_refuses(self, peered: Store) -> None:
        peered.add_outgoing(make_message(1))
        peered.add_incoming(make_message(1, Direction.IN))
        with pytest.raises(StoreError, match="no message"):
            peered.add_delivery_receipt("nope", b"r", T0)
        with pytest.raises(StoreError, match="incoming"):
            peered.add_delivery_receipt("moscow-in-1", b"r", T0)
        with pytest.raises(StoreError, match="receipt"):
            peered.add_delivery_receipt("moscow-out-1", b"", T0)
        with pytest.raises(StoreError, match="delivered_at"):
            peered.add_delivery_receipt("moscow-out-1", b"r", "soon")
        assert peered.get_message("moscow-out-1") == make_message(1)

    def test_has_message(self, peered: Store) -> None:
        assert not peered.has_message("moscow-out-1")
        peered.add_outgoing(make_message(1))
        peered.add_incoming(make_message(1, Direction.IN))
        assert peered.has_message("moscow-out-1")
        assert peered.has_message("moscow-in-1")
        assert not peered.has_message("nope")

    def test_outgoing_ref(self, peered: Store) -> None:
        message = make_message(1)
        peered.add_outgoing(message)
        peered.add_incoming(make_message(1, Direction.IN))
        assert peered.outgoing_ref("moscow-out-1") == ("moscow", 1, message.envelope_hash)
        assert peered.outgoing_ref("moscow-in-1") is None  # incoming: nothing to receipt
        assert peered.outgoing_ref("nope") is None

    def test_pending_outgoing(self, peered: Store) -> None:
        for serial in range(1, 6):
            peered.add_outgoing(make_message(serial))
            peered.add_outgoing(make_message(serial, peer="beijing"))
        peered.mark_transmitted("moscow-out-1", T0)
        peered.add_delivery_receipt("moscow-out-2", b"r", T0)
        peered.add_delivery_receipt("moscow-out-4", b"r", T0)

        def serials(**kwargs: Any) -> list[int]:
            return [m.serial for m in peered.pending_outgoing("moscow", **kwargs)]

        assert serials() == [1, 3, 5]  # SENT still waits for its receipt
        assert serials(after_serial=1) == [3, 5]
        assert serials(after_serial=3, limit=5) == [5]
        assert serials(limit=2) == [1, 3]
        assert serials(limit=0) == []
        assert peered.count_pending("moscow") == 3
        assert peered.count_pending("beijing") == 5
        assert peered.count_pending("paris") == 0
        assert all(m.peer == "moscow" for m in peered.pending_outgoing("moscow"))
        with pytest.raises(StoreError, match="limit"):
            peered.pending_outgoing("moscow", limit=-1)
        with pytest.raises(StoreError, match="after_serial"):
            peered.pending_outgoing("moscow", after_serial=-1)

    def test_outgoing_after_includes_receipted_messages(self, peered: Store) -> None:
        for serial in range(1, 6):
            peered.add_outgoing(make_message(serial))
            peered.add_outgoing(make_message(serial, peer="beijing"))
        peered.add_delivery_receipt("moscow-out-2", b"r", T0)
        peered.add_delivery_receipt("moscow-out-3", b"r", T0)

        def serials(**kwargs: Any) -> list[int]:
            return [m.serial for m in peered.outgoing_after("moscow", **kwargs)]

        assert serials(after_serial=0) == [1, 2, 3, 4, 5]
        assert serials(after_serial=1, limit=2) == [2, 3]
        assert serials(after_serial=5) == []
        assert [m.receipt for m in peered.outgoing_after("moscow", after_serial=1, limit=2)] == [
            b"r",
            b"r",
        ]
        assert peered.outgoing_after("paris", after_serial=0) == []
        with pytest.raises(StoreError, match="after_serial"):
            peered.outgoing_after("moscow", after_serial=-1)


class TestIncoming:
    """Incoming serials run 1, 2, 3… per peer; a replayed or skipped serial is refused."""

    def test_incoming_serials(self, peered: Store) -> None:
        assert peered.last_incoming("moscow") == (0, ZERO_HASH)
        first = make_message(1, Direction.IN)
        peered.add_incoming(first)
        assert peered.last_incoming("moscow") == (1, first.envelope_hash)
        with pytest.raises(StoreError, match="incoming serial for 'moscow' must be 2, not 3"):
            peered.add_incoming(make_message(3, Direction.IN))
        with pytest.raises(StoreError, match="already held"):
            peered.add_incoming(make_message(1, Direction.IN, id="replayed"))
        with pytest.raises(StoreError, match="is out, not in"):
            peered.add_incoming(make_message(2))
        with pytest.raises(UnknownPeer):
            peered.add_incoming(make_message(1, Direction.IN, peer="paris"))
        second = make_message(2, Direction.IN)
        peered.add_incoming(second)
        assert peered.last_incoming("moscow") == (2, second.envelope_hash)
        assert peered.last_incoming("beijing") == (0, ZERO_HASH)
        assert peered.get_incoming_by_serial("moscow", 1) == first
        assert peered.get_incoming_by_serial("moscow", 2) == second
        assert peered.get_incoming_by_serial("moscow", 3) is None
        assert peered.get_incoming_by_serial("beijing", 1) is None
        # An outgoing message at the same serial is not an incoming one.
        peered.add_outgoing(make_message(1))
        assert peered.get_incoming_by_serial("moscow", 1) == first

    def test_add_incoming_many(self, peered: Store) -> None:
        peered.add_incoming_many([])
        batch = [make_message(serial, Direction.IN) for serial in (1, 2, 3)]
        peered.add_incoming_many(batch)
        assert peered.last_incoming("moscow") == (3, batch[-1].envelope_hash)
        assert [peered.get_incoming_by_serial("moscow", n) for n in (1, 2, 3)] == batch
        # All or nothing, with the error a single add would raise for the first refused.
        refused = [
            ([make_message(4, Direction.IN), make_message(6, Direction.IN)], "must be 5, not 6"),
            ([make_message(4, Direction.IN), make_message(4, Direction.IN, id="again")], "held"),
            ([make_message(4, Direction.IN), make_message(5)], "is out, not in"),
        ]
        for messages, match in refused:
            with pytest.raises(StoreError, match=match):
                peered.add_incoming_many(messages)
        with pytest.raises(UnknownPeer):
            peered.add_incoming_many([make_message(1, Direction.IN, peer="paris")])
        assert peered.last_incoming("moscow") == (3, batch[-1].envelope_hash)
        with peered.transaction():
            peered.add_incoming_many([make_message(4, Direction.IN)])
            with pytest.raises(StoreError):
                peered.add_incoming_many(
                    [make_message(5, Direction.IN), make_message(7, Direction.IN)]
                )
            peered.add_incoming_many([make_message(5, Direction.IN)])
        assert peered.last_incoming("moscow")[0] == 5

    def test_add_outgoing_many(self, peered: Store) -> None:
        batch = [make_message(serial) for serial in (1, 2)]
        peered.add_outgoing_many(batch)
        assert peered.next_outgoing_serial("moscow") == (3, batch[-1].envelope_hash)
        assert [peered.get_message(m.id) for m in batch] == batch
        with pytest.raises(StoreError, match="must be 4, not 5"):
            peered.add_outgoing_many([make_message(3), make_message(5)])
        with pytest.raises(StoreError, match="already stored"):
            peered.add_outgoing_many([make_message(3, id=batch[0].id)])
        assert peered.next_outgoing_serial("moscow")[0] == 3


class TestQueries:
    """Listings, lookups and iterators, in either direction."""

    def test_list_messages_newest_first(self, peered: Store) -> None:
        peered.add_outgoing(make_message(1, created_at=at(10)))
        peered.add_incoming(make_message(1, Direction.IN, created_at=at(30)))
        peered.add_outgoing(make_message(2, created_at=at(20)))
        peered.add_outgoing(make_message(3, created_at=at(20)))  # same time: higher serial first
        peered.add_outgoing(make_message(1, peer="beijing", created_at=at(40)))

        def ids(**kwargs: Any) -> list[str]:
            return [m.id for m in peered.list_messages(**kwargs)]

        assert ids() == [
            "beijing-out-1",
            "moscow-in-1",
            "moscow-out-3",
            "moscow-out-2",
            "moscow-out-1",
        ]
        assert ids(peer="moscow", limit=2) == ["moscow-in-1", "moscow-out-3"]
        assert ids(direction=Direction.OUT, peer="moscow") == [
            "moscow-out-3",
            "moscow-out-2",
            "moscow-out-1",
        ]
        assert ids(direction=Direction.IN) == ["moscow-in-1"]
        assert ids(peer="paris") == []
        assert ids(limit=0) == []
        with pytest.raises(StoreError, match="direction"):
            peered.list_messages(direction="up")  # type: ignore[arg-type]

    def test_get_message(self, peered: Store) -> None:
        assert peered.get_message("moscow-out-1") is None
        peered.add_outgoing(make_message(1))
        assert peered.get_message("moscow-out-1") == make_message(1)

    def test_iter_messages(self, peered: Store) -> None:
        with peered.transaction():
            for serial in range(1, 6):
                peered.add_outgoing(make_message(serial))
                peered.add_incoming(make_message(serial, Direction.IN))
        out = list(peered.iter_messages(peer="moscow", direction=Direction.OUT))
        assert out == [make_message(serial) for serial in range(1, 6)]
        incoming = [m.serial for m in peered.iter_messages(peer="moscow", direction=Direction.IN)]
        assert incoming == [1, 2, 3, 4, 5]
        assert list(peered.iter_messages(peer="beijing", direction=Direction.OUT)) == []
        with pytest.raises(StoreError, match="direction"):
            peered.iter_messages(peer="moscow", direction="both")  # type: ignore[arg-type]

    def test_iterating_while_writing(self, peered: Store) -> None:
        # Whether the message stored meanwhile shows up is the backend's affair;
        # the walk must go on, in order, and miss nothing that was there.
        seen = iterate_while_writing(peered)
        assert seen[:3] == [1, 2, 3]
        assert seen in ([1, 2, 3], [1, 2, 3, 4])


class TestAcknowledgements:
    """One acknowledgement per message; the first stands."""

    def test_first_acknowledgement_stands(self, peered: Store) -> None:
        peered.add_incoming(make_message(1, Direction.IN))
        first = make_ack("moscow-in-1")
        assert peered.add_acknowledgement(first) is True
        assert peered.add_acknowledgement(make_ack("moscow-in-1", by="someone else")) is False
        assert peered.acknowledgements(["moscow-in-1"]) == {"moscow-in-1": first}

    def test_acknowledgements_by_message_id(self, peered: Store) -> None:
        given_ack = make_ack("moscow-in-1")
        received = make_ack("moscow-out-1", direction="received", by="mos-op", at=at(20))
        peered.add_acknowledgement(given_ack)
        peered.add_acknowledgement(received)
        assert peered.acknowledgements(["moscow-out-1", "moscow-in-1", "nope"]) == {
            "moscow-in-1": given_ack,
            "moscow-out-1": received,
        }
        assert peered.acknowledgements([]) == {}

    def test_many_acknowledgements_at_once(self, peered: Store) -> None:
        # More ids than one query may carry in some backends (SQLite: 999 parameters).
        ids = [f"m-{n}" for n in range(1200)]
        with peered.transaction():
            for message_id in ids[::2]:
                peered.add_acknowledgement(make_ack(message_id))
        found = peered.acknowledgements(ids)
        assert sorted(found) == sorted(ids[::2])
        assert found["m-1198"] == make_ack("m-1198")


_times = st.datetimes(
    min_value=datetime(2000, 1, 1),  # naive bounds, as hypothesis wants
    max_value=datetime(2200, 1, 1),
    timezones=st.just(UTC),
).map(format_utc)
_words = st.text(min_size=1, max_size=20)
_blobs = st.binary(min_size=1, max_size=64)


@st.composite
def _messages(draw: st.DrawFn) -> MessageRecord:
    direction = draw(st.sampled_from(Direction))
    state = (
        MessageState.DELIVERED if direction is Direction.IN else draw(st.sampled_from(MessageState))
    )
    delivered = state is MessageState.DELIVERED
    if direction is Direction.IN or state is MessageState.QUEUED:
        transmitted_at = None
    elif state is MessageState.SENT:
        transmitted_at = draw(_times)
    else:
        transmitted_at = draw(st.none() | _times)
    return MessageRecord(
        id=draw(_words),
        direction=direction,
        peer="moscow",
        channel=draw(_words),
        serial=1,  # replaced by the next free serial
        time_group=draw(st.from_regex(r"[0-9]{6}Z", fullmatch=True)),
        sent_at=draw(_times),
        precedence=draw(_words),
        kind=draw(_words),
        text=draw(st.text(max_size=200)),
        body=draw(_blobs),
        envelope=draw(st.binary(min_size=1, max_size=512)),
        envelope_hash=draw(st.binary(min_size=32, max_size=32)),
        state=state,
        created_at=draw(_times),
        transmitted_at=transmitted_at,
        delivered_at=draw(_times) if delivered else None,
        receipt=draw(_blobs) if delivered else None,
    )


_unique = itertools.count()


class TestMessageRoundTrip:
    """Any valid message comes back exactly as it went in."""

    # One store for every example (ids are made unique, serials taken in turn), as a
    # daemon's store holds many messages: the function-scoped fixture is shared on purpose.
    # Each backend's module runs this method on its own instance (SQLite's and
    # PostgreSQL's in one session): differing executors are expected here.
    @settings(
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.differing_executors]
    )
    @given(_messages())
    def test_message_round_trip(self, peered: Store, drawn: MessageRecord) -> None:
        store = peered
        if drawn.direction is Direction.OUT:
            serial, _ = store.next_outgoing_serial("moscow")
            message = replace(drawn, id=f"{next(_unique)}:{drawn.id}", serial=serial)
            store.add_outgoing(message)
        else:
            serial, _ = store.last_incoming("moscow")
            message = replace(drawn, id=f"{next(_unique)}:{drawn.id}", serial=serial + 1)
            store.add_incoming(message)
            assert store.get_incoming_by_serial("moscow", message.serial) == message
        assert store.get_message(message.id) == message
        assert store.list_messages(peer="moscow", direction=message.direction)
        last = list(store.iter_messages(peer="moscow", direction=message.direction))[-1]
        assert last == message
