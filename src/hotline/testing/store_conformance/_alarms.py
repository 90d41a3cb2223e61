"""AlarmStore: raised, acknowledged once, cleared once, listed while open."""

from __future__ import annotations

import pytest

from hotline.errors import StoreError
from hotline.store import Store
from hotline.testing.store_conformance._fixtures import StoreFactory, make_alarm

__all__ = ["TestAlarms"]


class TestAlarms:
    """The lifecycle of an alarm, and what it refuses."""

    def test_raise_list_clear(self, store: Store) -> None:
        store.add_alarm(make_alarm("b", since="2026-11-23T17:00:00.000000Z"))
        store.add_alarm(make_alarm("a", route=None, kind="line-down"))
        assert [a.id for a in store.open_alarms()] == ["a", "b"]
        cleared = store.clear_alarm("b", at="2026-11-23T18:00:00.000000Z", by="link test passed")
        assert cleared is not None
        assert not cleared.open
        assert cleared.cleared_by == "link test passed"
        assert [a.id for a in store.open_alarms()] == ["a"]
        # Cleared once: a second clear, or an unknown id, changes nothing.
        assert store.clear_alarm("b", at="2026-11-23T19:00:00.000000Z", by="x") is None
        assert store.clear_alarm("nope", at="2026-11-23T19:00:00.000000Z", by="x") is None

    def test_alarms_survive_reopening(self, store_factory: StoreFactory) -> None:
        with store_factory() as first:
            first.add_alarm(make_alarm("a"))
        with store_factory() as second:
            assert second.open_alarms() == [make_alarm("a")]

    def test_duplicate_id_is_a_store_error(self, store: Store) -> None:
        store.add_alarm(make_alarm("a"))
        with pytest.raises(StoreError):
            store.add_alarm(make_alarm("a"))

    def test_acknowledged_once_while_open(self, store: Store) -> None:
        store.add_alarm(make_alarm("a"))
        store.add_alarm(make_alarm("b", since="2026-11-23T17:00:00.000000Z"))
        seen = store.acknowledge_alarm("a", at="2026-11-23T16:05:00.000000Z", by="was-op")
        assert seen == make_alarm(
            "a", acknowledged_at="2026-11-23T16:05:00.000000Z", acknowledged_by="was-op"
        )
        assert seen.open
        assert store.open_alarms() == [seen, make_alarm("b", since="2026-11-23T17:00:00.000000Z")]
        # Once only, never after clearing, never for an unknown id.
        assert store.acknowledge_alarm("a", at="2026-11-23T16:06:00.000000Z", by="x") is None
        store.clear_alarm("b", at="2026-11-23T17:05:00.000000Z", by="operator")
        assert store.acknowledge_alarm("b", at="2026-11-23T17:06:00.000000Z", by="x") is None
        assert store.acknowledge_alarm("nope", at="2026-11-23T17:06:00.000000Z", by="x") is None
        with pytest.raises(StoreError, match="at"):
            store.acknowledge_alarm("a", at="now", by="x")
        cleared = store.clear_alarm("a", at="2026-11-23T18:00:00.000000Z", by="operator")
        assert cleared is not None
        assert cleared.acknowledged_by == "was-op"  # clearing keeps who saw it
        assert store.open_alarms() == []
