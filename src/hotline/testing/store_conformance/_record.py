"""RecordStore: the Merkle tree over the journal, checkpoints, cosignatures, witnessed, conflicts.

The store holds hashes and notes as opaque bytes; the tests still build real
RFC 6962 nodes over real journal entries (:func:`perfect_nodes`), so that what
they store is what the terminal will store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import pytest

from hotline.errors import StoreError
from hotline.store import (
    CheckpointRecord,
    CosignatureRecord,
    JournalEntry,
    RecordConflictRecord,
    Store,
    WitnessedRecord,
    journal_leaf_data,
)
from hotline.testing.store_conformance._fixtures import StoreFactory, at

__all__ = [
    "TestCheckpoints",
    "TestCosignatures",
    "TestRecordConflicts",
    "TestRecordTree",
    "TestWitnessed",
    "make_checkpoint",
    "make_conflict",
    "make_cosignature",
    "make_witnessed",
    "perfect_nodes",
]


def _root(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


def make_checkpoint(size: int, **kw: Any) -> CheckpointRecord:
    fields: dict[str, Any] = {
        "size": size,
        "root": _root(f"root {size}"),
        "note": f"washington.example/record\n{size}\nroot{size}=\n\n— washington sig{size}\n".encode(),
        "issued_at": at(size % 3600),
    }
    fields.update(kw)
    return CheckpointRecord(**fields)


def make_cosignature(peer: str, size: int, timestamp: int, **kw: Any) -> CosignatureRecord:
    fields: dict[str, Any] = {
        "peer": peer,
        "size": size,
        "root": _root(f"root {size}"),
        "timestamp": timestamp,
        "line": f"— {peer}.example/witness cosig{size}t{timestamp}=",
        "received_at": at(timestamp % 3600),
    }
    fields.update(kw)
    return CosignatureRecord(**fields)


def make_witnessed(peer: str, size: int, **kw: Any) -> WitnessedRecord:
    fields: dict[str, Any] = {
        "peer": peer,
        "size": size,
        "root": _root(f"{peer} root {size}"),
        "note": f"{peer}.example/record\n{size}\nr=\n\n— {peer} s\n— washington c{size}\n".encode(),
        "cosigned_at": at(size % 3600),
    }
    fields.update(kw)
    return WitnessedRecord(**fields)


def make_conflict(**kw: Any) -> RecordConflictRecord:
    fields: dict[str, Any] = {
        "id": None,
        "log": "moscow",
        "peer": "moscow",
        "kind": "fork",
        "detected_at": at(30),
        "known": b"moscow.example/record\n5\nA=\n\n- moscow x\n",
        "offered": b"moscow.example/record\n6\nB=\n\n- moscow y\n",
        "proof": (_root("p1"), _root("p2")),
        "detail": "size 6 is not consistent with size 5",
    }
    fields.update(kw)
    return RecordConflictRecord(**fields)


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def perfect_nodes(
    entries: Sequence[JournalEntry], held: dict[tuple[int, int], bytes]
) -> list[tuple[int, int, bytes]]:
    """The RFC 6962 nodes that appending ``entries`` completes, given the nodes ``held``.

    ``held`` is updated with them. Leaf ``seq - 1`` hashes ``0x00 || leaf data``;
    node ``(level, index)`` is the perfect subtree over leaves ``index * 2**level``
    up to ``(index + 1) * 2**level``.
    """
    new: list[tuple[int, int, bytes]] = []
    for entry in entries:
        level, index = 0, entry.seq - 1
        hash_ = hashlib.sha256(b"\x00" + journal_leaf_data(entry)).digest()
        while True:
            held[level, index] = hash_
            new.append((level, index, hash_))
            if index % 2 == 0:
                break
            hash_ = _node(held[level, index - 1], hash_)
            level, index = level + 1, index // 2
    return new


def _journal(store: Store, count: int) -> list[JournalEntry]:
    with store.transaction():  # one commit, not one per entry
        return [store.append_journal(kind="tick", at=at(n), data={"n": n}) for n in range(count)]


class TestRecordTree:
    """The tree grows in batches, never shrinks, and never changes a node it holds."""

    def test_an_empty_record(self, store: Store) -> None:
        assert store.record_tree_size() == 0
        assert store.record_nodes([(0, 0), (1, 0)]) == {}
        with pytest.raises(StoreError):
            store.record_node(0, 0)
        assert store.journal_entries(0, 10) == []
        assert store.journal_entry(1) is None

    def test_grows_in_batches_over_the_journal(
        self, store: Store, store_factory: StoreFactory
    ) -> None:
        journal = _journal(store, 5)
        held: dict[tuple[int, int], bytes] = {}
        first = store.journal_entries(0, 3)
        assert first == journal[:3]
        store.add_record_nodes(3, perfect_nodes(first, held))
        assert store.record_tree_size() == 3
        rest = store.journal_entries(store.record_tree_size(), 100)
        assert [entry.seq for entry in rest] == [4, 5]
        store.add_record_nodes(5, perfect_nodes(rest, held))
        assert sorted(held) == [(0, 0), (0, 1), (0, 2), (0, 3), (0, 4), (1, 0), (1, 1), (2, 0)]
        with store_factory() as reopened:
            assert reopened.record_tree_size() == 5
            assert reopened.record_nodes([*held, (0, 5), (3, 0)]) == held
            assert reopened.record_node(2, 0) == _node(
                _node(held[0, 0], held[0, 1]), _node(held[0, 2], held[0, 3])
            )
            with pytest.raises(StoreError):
                reopened.record_node(1, 2)

    def test_journal_entries_by_seq(self, store: Store) -> None:
        journal = _journal(store, 4)
        assert store.journal_entries(1, 2) == journal[1:3]
        assert store.journal_entries(0, 0) == []
        assert store.journal_entries(4, 10) == []
        assert store.journal_entry(3) == journal[2]
        assert store.journal_entry(0) is None
        assert store.journal_entry(5) is None

    def test_the_size_only_grows(self, store: Store) -> None:
        held: dict[tuple[int, int], bytes] = {}
        store.add_record_nodes(3, perfect_nodes(_journal(store, 3), held))
        for size in (3, 2):
            with pytest.raises(StoreError):
                store.add_record_nodes(size, [])
        assert store.record_tree_size() == 3
        store.add_record_nodes(4, perfect_nodes(_journal(store, 1), held))
        assert store.record_tree_size() == 4

    def test_a_node_keeps_its_hash_and_a_refused_batch_stores_nothing(self, store: Store) -> None:
        held: dict[tuple[int, int], bytes] = {}
        store.add_record_nodes(2, perfect_nodes(_journal(store, 2), held))
        third = perfect_nodes(_journal(store, 1), dict(held))
        with pytest.raises(StoreError, match=r"\(0, 1\)"):
            store.add_record_nodes(3, [*third, (0, 1, _root("another"))])
        assert store.record_tree_size() == 2
        assert store.record_nodes([(0, 2)]) == {}
        assert store.record_node(0, 1) == held[0, 1]
        # The same node twice in one batch, with two hashes, is refused too.
        with pytest.raises(StoreError):
            store.add_record_nodes(3, [*third, (0, 2, _root("twice"))])
        assert store.record_tree_size() == 2
        # A node held with the same hash is no conflict.
        store.add_record_nodes(3, [*third, (0, 1, held[0, 1])])
        assert store.record_tree_size() == 3
        assert store.record_node(0, 2) == third[0][2]

    @pytest.mark.parametrize(
        "node",
        [
            (1, 1, bytes(32)),  # covers leaves 2 and 3: beyond a tree of 2
            (0, 2, bytes(32)),
            (64, 0, bytes(32)),
            (-1, 0, bytes(32)),
            (0, -1, bytes(32)),
            (True, 0, bytes(32)),
            (0, 0, bytes(31)),
        ],
    )
    def test_a_bad_node_is_refused(self, store: Store, node: tuple[int, int, bytes]) -> None:
        with pytest.raises(StoreError):
            store.add_record_nodes(2, [(0, 0, bytes(32)), node])
        assert store.record_tree_size() == 0
        assert store.record_nodes([(0, 0)]) == {}

    def test_a_batch_is_undone_with_its_transaction(self, store: Store) -> None:
        held: dict[tuple[int, int], bytes] = {}
        nodes = perfect_nodes(_journal(store, 2), held)
        seen: list[int] = []

        def grow_then_fail() -> None:
            with store.transaction():
                store.add_record_nodes(2, nodes)
                seen.append(store.record_tree_size())  # inside its own transaction
                raise RuntimeError("abandon")

        with pytest.raises(RuntimeError):
            grow_then_fail()
        assert seen == [2]
        assert store.record_tree_size() == 0
        assert store.record_nodes(list(held)) == {}

    def test_many_nodes_read_at_once(self, store: Store) -> None:
        held: dict[tuple[int, int], bytes] = {}
        store.add_record_nodes(600, perfect_nodes(_journal(store, 600), held))
        keys = [*held, *((level, 10_000) for level in range(10))]
        assert store.record_nodes(keys) == held
        assert len(held) == 600 + 300 + 150 + 75 + 37 + 18 + 9 + 4 + 2 + 1


class TestCheckpoints:
    """Our own checkpoints: one per size, in increasing size."""

    def test_latest_and_by_size(self, store: Store, store_factory: StoreFactory) -> None:
        assert store.latest_checkpoint() is None
        assert store.checkpoint_at(0) is None
        for size in (0, 3, 7):
            store.add_checkpoint(make_checkpoint(size))
        assert store.latest_checkpoint() == make_checkpoint(7)
        with store_factory() as reopened:
            assert reopened.checkpoint_at(0) == make_checkpoint(0)
            assert reopened.checkpoint_at(3) == make_checkpoint(3)
            assert reopened.checkpoint_at(4) is None
            assert reopened.latest_checkpoint() == make_checkpoint(7)

    def test_the_same_again_changes_nothing_another_is_refused(self, store: Store) -> None:
        store.add_checkpoint(make_checkpoint(3))
        store.add_checkpoint(make_checkpoint(7))
        store.add_checkpoint(make_checkpoint(7, issued_at=at(99)))  # a retry: the first stays
        store.add_checkpoint(make_checkpoint(3, issued_at=at(99)))
        assert store.latest_checkpoint() == make_checkpoint(7)
        refused = [
            make_checkpoint(7, root=_root("fork")),
            make_checkpoint(7, note=b"another note"),
            make_checkpoint(5),  # after 7: the log never shrinks
        ]
        for checkpoint in refused:
            with pytest.raises(StoreError):
                store.add_checkpoint(checkpoint)
        assert store.checkpoint_at(5) is None
        assert store.checkpoint_at(7) == make_checkpoint(7)


class TestCosignatures:
    """Peers' cosignatures of our checkpoints: every one kept, the newest per peer found."""

    def test_newest_per_peer(self, store: Store, store_factory: StoreFactory) -> None:
        assert store.latest_cosignatures() == {}
        added = [
            make_cosignature("moscow", 3, 100),
            make_cosignature("moscow", 7, 90),  # a larger tree beats a later timestamp
            make_cosignature("beijing", 3, 200),
            make_cosignature("moscow", 7, 95),
            make_cosignature("moscow", 5, 300),
        ]
        for cosignature in added:
            store.add_cosignature(cosignature)
        expected = {"moscow": added[3], "beijing": added[2]}
        assert store.latest_cosignatures() == expected
        with store_factory() as reopened:
            assert reopened.latest_cosignatures() == expected
            assert reopened.cosignatures_for(3) == [added[0], added[2]]
            assert reopened.cosignatures_for(7) == [added[1], added[3]]
            assert reopened.cosignatures_for(4) == []

    def test_a_tie_goes_to_the_one_added_last(self, store: Store) -> None:
        first = make_cosignature("moscow", 7, 90, line="— moscow.example/witness first=")
        second = make_cosignature("moscow", 7, 90, line="— moscow.example/witness second=")
        store.add_cosignature(first)
        store.add_cosignature(second)
        assert store.latest_cosignatures() == {"moscow": second}

    def test_the_same_line_again_changes_nothing(self, store: Store) -> None:
        cosignature = make_cosignature("moscow", 7, 90)
        store.add_cosignature(cosignature)
        store.add_cosignature(make_cosignature("moscow", 7, 90, received_at=at(999)))
        assert store.cosignatures_for(7) == [cosignature]
        for other in (
            make_cosignature("moscow", 8, 90, line=cosignature.line),
            make_cosignature("moscow", 7, 91, line=cosignature.line),
            make_cosignature("moscow", 7, 90, root=_root("fork")),
        ):
            with pytest.raises(StoreError):
                store.add_cosignature(other)
        assert store.cosignatures_for(8) == []
        assert store.cosignatures_for(7) == [cosignature]
        # The same line from another peer is that peer's: kept.
        beijing = make_cosignature("beijing", 7, 90, line=cosignature.line)
        store.add_cosignature(beijing)
        assert store.cosignatures_for(7) == [cosignature, beijing]


class TestWitnessed:
    """Peers' checkpoints we cosigned: all kept, never going back or forking per peer."""

    def test_newest_per_peer(self, store: Store, store_factory: StoreFactory) -> None:
        assert store.latest_witnessed("moscow") is None
        assert store.latest_witnessed_all() == {}
        moscow = [make_witnessed("moscow", size) for size in (0, 4, 9)]
        beijing = make_witnessed("beijing", 2)
        for witnessed in (moscow[0], beijing, moscow[1], moscow[2]):
            store.add_witnessed(witnessed)
        # The same checkpoint cosigned again (a new note: our new cosignature) is kept,
        # and is the newest.
        again = make_witnessed("moscow", 9, note=b"moscow 9 cosigned again")
        store.add_witnessed(again)
        with store_factory() as reopened:
            assert reopened.latest_witnessed("moscow") == again
            assert reopened.latest_witnessed("beijing") == beijing
            assert reopened.latest_witnessed("tokyo") is None
            assert reopened.latest_witnessed_all() == {"moscow": again, "beijing": beijing}

    def test_going_back_or_forking_is_refused(self, store: Store) -> None:
        newest = make_witnessed("moscow", 9)
        store.add_witnessed(make_witnessed("moscow", 4))
        store.add_witnessed(newest)
        store.add_witnessed(make_witnessed("moscow", 9, cosigned_at=at(999)))  # a retry
        refused = [
            make_witnessed("moscow", 8, note=b"rolled back"),
            make_witnessed("moscow", 9, root=_root("fork"), note=b"forked"),
            make_witnessed("moscow", 12, note=newest.note),  # a held note, another tree
        ]
        for witnessed in refused:
            with pytest.raises(StoreError):
                store.add_witnessed(witnessed)
        assert store.latest_witnessed("moscow") == newest
        # Another peer's log is its own: a smaller size there is no rollback.
        store.add_witnessed(make_witnessed("beijing", 1))
        assert store.latest_witnessed("beijing") == make_witnessed("beijing", 1)


class TestRecordConflicts:
    """Evidence of a conflict: numbered by the store, kept whole, listed newest first."""

    def test_kept_and_listed_newest_first(self, store: Store, store_factory: StoreFactory) -> None:
        assert store.record_conflicts() == []
        fork = make_conflict()
        rollback = make_conflict(
            log="ours", kind="rollback", proof=(), known=b"", detail="", detected_at=at(40)
        )
        bad = make_conflict(kind="bad-signature", peer="beijing", log="beijing", proof=())
        ids = [store.add_record_conflict(c) for c in (fork, rollback, bad)]
        assert ids == sorted(set(ids))
        assert ids[0] >= 1
        expected = [
            RecordConflictRecord(**{**_fields(c), "id": i})
            for c, i in zip((bad, rollback, fork), ids[::-1], strict=True)
        ]
        with store_factory() as reopened:
            assert reopened.record_conflicts() == expected
            assert reopened.record_conflicts(limit=2) == expected[:2]
            assert reopened.record_conflicts(limit=0) == []

    def test_a_conflict_with_an_id_is_refused(self, store: Store) -> None:
        with pytest.raises(StoreError):
            store.add_record_conflict(make_conflict(id=7))
        assert store.record_conflicts() == []


def _fields(record: RecordConflictRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in RecordConflictRecord.__dataclass_fields__}
