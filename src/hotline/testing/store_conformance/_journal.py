"""JournalStore: an append-only chain, verified, and chained across stores."""

from __future__ import annotations

from typing import Any

import pytest

from hotline.errors import StoreError
from hotline.store import ZERO_HASH, Store, journal_entry_hash
from hotline.testing.store_conformance._fixtures import T0, StoreFactory, at

__all__ = ["TestJournal"]


class TestJournal:
    """Entries chain to the head, come back exactly, and bad ones are refused."""

    def test_journal_appends_a_chain(self, store: Store) -> None:
        assert store.journal_head() == ZERO_HASH
        assert store.journal_size() == 0
        assert list(store.iter_journal()) == []
        assert store.verify_journal() is None
        first = store.append_journal(kind="terminal.init", at=at(1), data={"party": "washington"})
        second = store.append_journal(kind="peer.added", at=at(2), data={"peers": ("moscow",)})
        assert (first.seq, second.seq) == (1, 2)
        assert first.prev_hash == ZERO_HASH
        assert first.hash == journal_entry_hash(1, at(1), "terminal.init", first.data, ZERO_HASH)
        assert second.prev_hash == first.hash
        assert second.data == {"peers": ["moscow"]}
        assert store.journal_head() == second.hash
        assert store.journal_size() == 2
        assert list(store.iter_journal()) == [first, second]
        assert store.verify_journal() is None

    def test_journal_head_follows_another_writer(
        self, store: Store, store_factory: StoreFactory
    ) -> None:
        # A backend may remember the head it appended last (SQLite does); an entry
        # appended meanwhile by another store must be chained to, not overwritten.
        store.append_journal(kind="a", at=at(1), data={})
        with store_factory() as other:
            by_other = other.append_journal(kind="b", at=at(2), data={})
        assert store.journal_head() == by_other.hash  # outside a transaction: read, not remembered
        assert store.journal_size() == 2
        third = store.append_journal(kind="c", at=at(3), data={})
        assert (third.seq, third.prev_hash) == (3, by_other.hash)
        assert store.verify_journal() is None

    def test_journal_head_forgets_a_rolled_back_entry(self, store: Store) -> None:
        first = store.append_journal(kind="a", at=at(1), data={})
        seen: list[bytes] = []

        def append_then_fail() -> None:
            with store.transaction():
                seen.append(store.append_journal(kind="b", at=at(2), data={}).hash)
                seen.append(store.journal_head())  # inside its own transaction
                raise RuntimeError("abandon")

        with pytest.raises(RuntimeError):
            append_then_fail()
        assert seen[0] == seen[1]
        assert store.journal_head() == first.hash
        assert store.journal_size() == 1
        with store.transaction():
            with pytest.raises(RuntimeError):
                append_then_fail()  # here a savepoint, undone inside the outer transaction
            assert store.journal_head() == first.hash
            second = store.append_journal(kind="c", at=at(3), data={})
        assert (second.seq, second.prev_hash) == (2, first.hash)
        assert store.verify_journal() is None

    def test_journal_refuses_bad_entries(self, store: Store) -> None:
        store.append_journal(kind="ok", at=T0, data={})
        refused: list[dict[str, Any]] = [
            {"kind": "x", "at": T0, "data": {"ratio": 0.5}},
            {"kind": "", "at": T0, "data": {}},
            {"kind": "x", "at": "noon", "data": {}},
            {"kind": "x", "at": T0, "data": {1: "int key"}},
        ]
        for kwargs in refused:
            with pytest.raises(StoreError):
                store.append_journal(**kwargs)
        assert [entry.kind for entry in store.iter_journal()] == ["ok"]

    def test_journal_keeps_data_exactly(self, store: Store) -> None:
        data: dict[str, Any] = {
            "big": 2**80,
            "neg": -1,
            "flag": False,
            "none": None,
            "text": "Zürich\x00✓",
            "n": [],
        }
        entry = store.append_journal(kind="k", at=T0, data=data)
        (stored,) = store.iter_journal()
        assert stored == entry
        assert stored.data == data
        assert store.verify_journal() is None

    def test_append_journal_many_is_a_chain_of_single_appends(
        self, store: Store, store_factory: StoreFactory
    ) -> None:
        assert store.append_journal_many([]) == []
        first = store.append_journal(kind="a", at=at(1), data={"n": 1})
        batch = store.append_journal_many(
            [("b", at(2), {"peers": ("moscow",)}), ("c", at(3), {}), ("d", at(4), {"x": None})]
        )
        assert [entry.seq for entry in batch] == [2, 3, 4]
        assert batch[0].prev_hash == first.hash
        assert batch[0].data == {"peers": ["moscow"]}
        for before, entry in zip([first, *batch[:-1]], batch, strict=True):
            assert entry.prev_hash == before.hash
            assert entry.hash == journal_entry_hash(
                entry.seq, entry.at, entry.kind, entry.data, entry.prev_hash
            )
        assert list(store.iter_journal()) == [first, *batch]
        assert store.journal_head() == batch[-1].hash
        # Another writer appends; the next batch chains to it.
        with store_factory() as other:
            by_other = other.append_journal(kind="e", at=at(5), data={})
        (after,) = store.append_journal_many([("f", at(6), {})])
        assert (after.seq, after.prev_hash) == (6, by_other.hash)
        assert store.verify_journal() is None

    def test_append_journal_many_is_all_or_nothing(self, store: Store) -> None:
        first = store.append_journal(kind="ok", at=T0, data={})
        bad_data: list[dict[Any, Any]] = [{"ratio": 0.5}, {1: "int key"}]
        for bad in bad_data:
            with pytest.raises(StoreError):
                store.append_journal_many([("x", at(1), {}), ("y", at(2), bad)])
        with pytest.raises(StoreError):
            store.append_journal_many([("x", at(1), {}), ("", at(2), {})])
        with pytest.raises(StoreError):
            store.append_journal_many([("x", "noon", {})])
        assert list(store.iter_journal()) == [first]
        with store.transaction():
            inside = store.append_journal_many([("x", at(1), {}), ("y", at(2), {})])
            assert store.journal_head() == inside[-1].hash
        assert store.journal_size() == 3
        assert store.verify_journal() is None
