"""The fixtures the conformance tests take, record factories, and helpers they share."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from hotline.store import (
    AckRecord,
    AlarmRecord,
    CallRecord,
    Direction,
    MeetingRecord,
    MessageRecord,
    MessageState,
    PartyRecord,
    PeerRecord,
    ShiftNoteRecord,
    Store,
    UserRecord,
)

__all__ = [
    "T0",
    "StoreFactory",
    "at",
    "burst",
    "fill",
    "make_ack",
    "make_alarm",
    "make_call",
    "make_meeting",
    "make_message",
    "make_note",
    "make_party",
    "make_peer",
    "make_user",
    "peered",
    "snapshot",
    "store",
]

StoreFactory = Callable[[], Store]
"""What a backend's ``store_factory`` fixture returns.

Each call opens a new :class:`~hotline.store.Store` on the same database, one
database per test: the first call finds it empty (created with the current
schema), later calls reopen what the earlier stores committed, as a restarted
daemon or a second process (``hotline verify``) would. The caller closes what
it opens.
"""

T0 = "2026-11-22T04:31:14.123456Z"


def at(second: int) -> str:
    """A distinct, ordered timestamp for each small integer."""
    return f"2026-11-22T04:{second // 60:02d}:{second % 60:02d}.000000Z"


@pytest.fixture
def store(store_factory: StoreFactory) -> Iterator[Store]:
    """A fresh, empty store from the backend's factory, closed after the test."""
    opened = store_factory()
    yield opened
    opened.close()


@pytest.fixture
def peered(store: Store) -> Store:
    """A store with this terminal's party and two peers, moscow and beijing."""
    store.set_party(make_party())
    store.add_peer(make_peer("moscow"))
    store.add_peer(make_peer("beijing"))
    return store


# -- records ------------------------------------------------------------------------


def make_party(**overrides: Any) -> PartyRecord:
    fields: dict[str, Any] = {
        "party": "washington",
        "signing_key": b"W" * 32,
        "encryption_key": b"w" * 32,
        "routes": ("hotline.example.gov:7443",),
        "timezone": "America/New_York",
        "created_at": T0,
    }
    fields.update(overrides)
    return PartyRecord(**fields)


def make_peer(party: str = "moscow", **overrides: Any) -> PeerRecord:
    key = hashlib.sha256(party.encode()).digest()
    fields: dict[str, Any] = {
        "party": party,
        "signing_key": key,
        "encryption_key": hashlib.sha256(key).digest(),
        "routes": (f"{party}.example.net:7443", f"{party}-backup.example.net:7443"),
        "timezone": "Europe/Moscow",
        "certificate": b"-----CERT " + party.encode(),
        "card_json": json.dumps({"party": party}),
        "fingerprint": key[:8].hex(),
        "added_at": T0,
    }
    fields.update(overrides)
    return PeerRecord(**fields)


def make_message(
    serial: int,
    direction: Direction = Direction.OUT,
    *,
    peer: str = "moscow",
    **overrides: Any,
) -> MessageRecord:
    envelope = f"envelope {peer} {direction} {serial}".encode()
    incoming = direction is Direction.IN
    fields: dict[str, Any] = {
        "id": f"{peer}-{direction}-{serial}",
        "direction": direction,
        "peer": peer,
        "channel": "main",
        "serial": serial,
        "time_group": "220431Z",
        "sent_at": T0,
        "precedence": "flash" if serial % 2 else "routine",
        "kind": "text",
        "text": f"message {serial}",
        "body": b"\xa1dtextimessage " + str(serial).encode(),
        "envelope": envelope,
        "envelope_hash": hashlib.sha256(envelope).digest(),
        "state": MessageState.DELIVERED if incoming else MessageState.QUEUED,
        "created_at": at(serial),
        "transmitted_at": None,
        "delivered_at": at(serial) if incoming else None,
        "receipt": b"receipt " + envelope if incoming else None,
    }
    fields.update(overrides)
    return MessageRecord(**fields)


def make_alarm(alarm_id: str, since: str = "2026-11-23T16:00:00.000000Z", **kw: Any) -> AlarmRecord:
    fields: dict[str, Any] = {
        "id": alarm_id,
        "kind": "test-missed",
        "peer": "Moscow",
        "route": "10.0.1.2:7000",
        "since": since,
        "detail": "no receipt within 60 s",
    }
    fields.update(kw)
    return AlarmRecord(**fields)


def make_call(call_id: str = "call-1", **kw: Any) -> CallRecord:
    fields: dict[str, Any] = {
        "id": call_id,
        "peer": "Moscow",
        "direction": Direction.OUT,
        "channel": "leaders",
        "kind": "video",
        "state": "calling",
        "requested_at": "2026-11-23T16:00:00.000000Z",
        "our_fingerprint": "sha-256 " + ":".join(["AB"] * 32),
        "placed_by": "was-op",
    }
    fields.update(kw)
    return CallRecord(**fields)


def make_user(name: str = "was-op", **kw: Any) -> UserRecord:
    fields: dict[str, Any] = {
        "name": name,
        "role": "operator",
        "password_hash": "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
        "language": "en",
        "signing_key": hashlib.sha256(name.encode()).digest(),
        "wrapped_key": b"wrapped " + name.encode(),
        "key_salt": b"salt " + name.encode(),
        "created_at": T0,
    }
    fields.update(kw)
    return UserRecord(**fields)


def make_ack(message_id: str, **kw: Any) -> AckRecord:
    fields: dict[str, Any] = {
        "message_id": message_id,
        "direction": "given",
        "by": "was-op",
        "at": at(10),
        "ack_id": f"ack-{message_id}",
        "operator_key": b"U" * 32,
        "operator_signature": b"S" * 64,
    }
    fields.update(kw)
    return AckRecord(**fields)


def make_note(note_id: str, **kw: Any) -> ShiftNoteRecord:
    fields: dict[str, Any] = {
        "id": note_id,
        "author": "was-op",
        "text": f"handover {note_id}",
        "at": at(11),
        "author_key": b"U" * 32,
        "signature": b"N" * 64,
    }
    fields.update(kw)
    return ShiftNoteRecord(**fields)


def make_meeting(proposal_id: str, **kw: Any) -> MeetingRecord:
    fields: dict[str, Any] = {
        "proposal_id": proposal_id,
        "peer": "moscow",
        "state": "proposed",
        "data": '{"at":"1500Z"}',
        "updated_at": at(12),
    }
    fields.update(kw)
    return MeetingRecord(**fields)


# -- helpers ------------------------------------------------------------------------


def burst(store: Store, count: int) -> None:
    """What the daemon does for a burst of received envelopes (the peer moscow must exist)."""
    for _ in range(count):
        serial, _prev = store.last_incoming("moscow")
        message = make_message(serial + 1, Direction.IN)
        store.add_incoming(message)
        store.append_journal(kind="message.received", at=T0, data={"id": message.id})
    store.set_last_contact("moscow", T0)


def fill(store: Store) -> None:
    """Give an empty store a party, a peer, messages in every state and a journal entry."""
    store.set_party(make_party())
    store.add_peer(make_peer("moscow"))
    store.add_outgoing(make_message(1))
    store.mark_transmitted("moscow-out-1", at(3))
    store.add_delivery_receipt("moscow-out-1", b"receipt", at(4))
    store.add_outgoing(make_message(2))
    store.add_incoming(make_message(1, Direction.IN))
    store.set_last_contact("moscow", at(5))
    store.append_journal(kind="k", at=T0, data={"x": [1, 2]})


def snapshot(store: Store) -> dict[str, Any]:
    """What :func:`fill` wrote, read back."""
    return {
        "party": store.get_party(),
        "peers": store.list_peers(),
        "messages": store.list_messages(),
        "contact": store.last_contact("moscow"),
        "journal": list(store.iter_journal()),
        "head": store.journal_head(),
    }
