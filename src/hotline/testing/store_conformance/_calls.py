"""CallStore and MeetingStore: calls final once ended, presence answered once, meetings replaced."""

from __future__ import annotations

import dataclasses

import pytest

from hotline.errors import StoreError
from hotline.store import Direction, PresenceRecord, Store
from hotline.testing.store_conformance._fixtures import at, make_call, make_meeting

__all__ = ["TestCalls", "TestMeetings", "TestPresence"]

T0 = "2026-11-23T16:00:00.000000Z"
T1 = "2026-11-23T16:00:05.250000Z"
T2 = "2026-11-23T16:10:05.750000Z"
FP = "sha-256 " + ":".join(["AB"] * 32)


class TestCalls:
    """A call's record is rewritten until it ends, then final."""

    def test_a_call_is_updated_until_it_ends_then_final(self, store: Store) -> None:
        store.put_call(make_call())
        store.put_call(
            make_call("call-2", direction=Direction.IN, state="ringing", our_fingerprint=None)
        )
        assert [c.id for c in store.live_calls()] == ["call-1", "call-2"]
        answered = make_call(
            state="connected", answered_at=T1, answered_by="mos-op", peer_fingerprint=FP
        )
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
        assert store.get_call("nope") is None

    def test_listing_limits_and_order(self, store: Store) -> None:
        for n in range(1, 6):
            store.put_call(make_call(f"call-{n}"))
        store.put_call(make_call("call-1", state="ringing"))  # a rewrite keeps its place
        assert [c.id for c in store.list_calls()] == [f"call-{n}" for n in (5, 4, 3, 2, 1)]
        assert [c.id for c in store.list_calls(limit=2)] == ["call-5", "call-4"]
        assert [c.id for c in store.live_calls()] == [f"call-{n}" for n in (1, 2, 3, 4, 5)]
        assert store.get_call("call-1") == make_call("call-1", state="ringing")


class TestPresence:
    """A presence request is answered once."""

    def test_presence_requests_are_answered_once(self, store: Store) -> None:
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


class TestMeetings:
    """A meeting's state is replaced as replies come in; listed most recently changed first."""

    def test_put_get_and_replace(self, store: Store) -> None:
        assert store.get_meeting("m-1") is None
        assert store.list_meetings() == []
        proposed = make_meeting("m-1")
        store.put_meeting(proposed)
        assert store.get_meeting("m-1") == proposed
        accepted = dataclasses.replace(
            proposed, state="accepted", updated_at=at(30), last_reply="reply-1"
        )
        store.put_meeting(accepted)
        assert store.get_meeting("m-1") == accepted
        assert store.list_meetings() == [accepted]

    def test_listed_most_recently_changed_first(self, store: Store) -> None:
        store.put_meeting(make_meeting("m-1", updated_at=at(10)))
        store.put_meeting(make_meeting("m-2", updated_at=at(20)))
        store.put_meeting(make_meeting("m-3", updated_at=at(15)))
        assert [m.proposal_id for m in store.list_meetings()] == ["m-2", "m-3", "m-1"]
        store.put_meeting(make_meeting("m-1", updated_at=at(40), state="declined"))
        assert [m.proposal_id for m in store.list_meetings()] == ["m-1", "m-2", "m-3"]
