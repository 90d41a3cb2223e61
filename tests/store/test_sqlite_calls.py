"""The calls and presence tables: a call's record is final once ended, presence answered once."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import pytest

from hotline.errors import StoreError
from hotline.store import CallRecord, Direction, PresenceRecord, SQLiteStore

T0 = "2026-11-23T16:00:00.000000Z"
T1 = "2026-11-23T16:00:05.250000Z"
T2 = "2026-11-23T16:10:05.750000Z"
FP = "sha-256 " + ":".join(["AB"] * 32)


def call(call_id: str = "call-1", **kw: object) -> CallRecord:
    fields: dict[str, object] = {
        "id": call_id,
        "peer": "Moscow",
        "direction": Direction.OUT,
        "channel": "leaders",
        "kind": "video",
        "state": "calling",
        "requested_at": T0,
        "our_fingerprint": FP,
        "placed_by": "was-op",
    }
    fields.update(kw)
    return CallRecord(**fields)  # type: ignore[arg-type]


def test_a_call_is_updated_until_it_ends_then_final(store: SQLiteStore, db_path: Path) -> None:
    store.put_call(call())
    store.put_call(call("call-2", direction=Direction.IN, state="ringing", our_fingerprint=None))
    assert [c.id for c in store.live_calls()] == ["call-1", "call-2"]
    answered = call(state="connected", answered_at=T1, answered_by="mos-op", peer_fingerprint=FP)
    store.put_call(answered)
    assert store.get_call("call-1") == answered
    ended = dataclasses.replace(
        answered, state="ended", outcome="completed", ended_at=T2, ended_by="was-op"
    )
    store.put_call(ended)
    assert store.get_call("call-1") == ended
    assert ended.duration == 600.5
    assert [c.id for c in store.live_calls()] == ["call-2"]
    assert [c.id for c in store.list_calls()] == ["call-2", "call-1"]
    assert [c.id for c in store.list_calls(limit=1)] == ["call-2"]
    with pytest.raises(StoreError):
        store.put_call(dataclasses.replace(ended, reason="rewritten"))
    assert store.get_call("call-1") == ended
    with sqlite3.connect(db_path) as raw, pytest.raises(sqlite3.DatabaseError, match="never"):
        raw.execute("DELETE FROM calls")
    assert store.get_call("nope") is None


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"kind": "telegram"}, "video or audio"),
        ({"state": "on-hold"}, "call state"),
        ({"state": "ended"}, "outcome and an end time"),
        ({"outcome": "completed"}, "outcome and an end time"),
        ({"state": "ended", "outcome": "completed", "ended_at": T2}, "completed call was answered"),
        ({"state": "ended", "outcome": "lost", "ended_at": T2}, "outcome"),
        ({"requested_at": "16:00Z"}, "requested_at"),
        ({"direction": "out"}, "Direction"),
    ],
)
def test_bad_call_records_are_refused(change: dict[str, object], match: str) -> None:
    with pytest.raises(StoreError, match=match):
        call(**change)


def test_presence_requests_are_answered_once(store: SQLiteStore) -> None:
    request = PresenceRecord(
        id="presence-1",
        peer="Moscow",
        direction=Direction.IN,
        channel="leaders",
        requested_at=T0,
        requested_by="was-op",
        note="at 1500Z",
    )
    store.put_presence(request)
    assert store.list_presence(open_only=True) == [request]
    answered = dataclasses.replace(request, answered_at=T1, answered_by="president")
    store.put_presence(answered)
    assert store.get_presence("presence-1") == answered
    assert store.list_presence(open_only=True) == []
    assert store.list_presence() == [answered]
    with pytest.raises(StoreError):
        store.put_presence(dataclasses.replace(answered, answered_by="someone else"))
    with pytest.raises(StoreError, match="both who and when"):
        dataclasses.replace(request, answered_at=T1)
