"""The record's tables refuse, even to raw SQL, what the store never does: rewrite, delete, undo."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

from hotline.errors import StoreError
from hotline.store import SQLiteStore
from hotline.testing.store_conformance import (
    make_checkpoint,
    make_conflict,
    make_cosignature,
    make_witnessed,
    perfect_nodes,
)

from .factories import at


@pytest.fixture
def recorded(store: SQLiteStore) -> SQLiteStore:
    """A store with a tree of 3 leaves, two checkpoints, a cosignature, a witnessed, a conflict."""
    entries = [store.append_journal(kind="tick", at=at(n), data={"n": n}) for n in range(3)]
    store.add_record_nodes(3, perfect_nodes(entries, {}))
    store.add_checkpoint(make_checkpoint(2))
    store.add_checkpoint(make_checkpoint(3))
    store.add_cosignature(make_cosignature("moscow", 3, 100))
    store.add_witnessed(make_witnessed("moscow", 5))
    store.add_record_conflict(make_conflict())
    return store


_TABLES = (
    "record_tree",
    "record_nodes",
    "record_checkpoints",
    "record_cosignatures",
    "record_witnessed",
    "record_conflicts",
)


@pytest.mark.parametrize("table", _TABLES)
def test_every_record_table_is_append_only(
    recorded: SQLiteStore, raw: sqlite3.Connection, table: str
) -> None:
    (before,) = raw.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert before >= 1
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        raw.execute(f"DELETE FROM {table}")
    first_column = raw.execute(f"SELECT * FROM {table}").description[0][0]
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        raw.execute(f"UPDATE {table} SET {first_column} = {first_column}")
    assert raw.execute(f"SELECT count(*) FROM {table}").fetchone() == (before,)


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("INSERT INTO record_tree (size) VALUES (2)", "only grows"),
        ("INSERT INTO record_tree (size) VALUES (3)", "only grows"),
        ("INSERT INTO record_nodes VALUES (0, 0, zeroblob(32))", "UNIQUE"),
        ("INSERT INTO record_nodes VALUES (0, 9, zeroblob(31))", "CHECK"),
        (
            "INSERT INTO record_checkpoints VALUES (1, zeroblob(32), x'00', '2026')",
            "increasing size",
        ),
        (
            "INSERT INTO record_witnessed (peer, size, root, note, cosigned_at) "
            "VALUES ('moscow', 4, zeroblob(32), x'01', '2026')",
            "never goes back",
        ),
        (
            "INSERT INTO record_witnessed (peer, size, root, note, cosigned_at) "
            "VALUES ('moscow', 5, zeroblob(32), x'01', '2026')",
            "never goes back",
        ),
        (
            "INSERT INTO record_conflicts (log, peer, kind, detected_at, known, offered, proof, "
            "detail) VALUES ('ours', 'moscow', 'quarrel', '2026', x'', x'01', x'', '')",
            "CHECK",
        ),
        (
            "INSERT INTO record_conflicts (log, peer, kind, detected_at, known, offered, proof, "
            "detail) VALUES ('ours', 'moscow', 'fork', '2026', x'', x'01', zeroblob(33), '')",
            "CHECK",
        ),
    ],
)
def test_record_triggers_guard_raw_sql(
    recorded: SQLiteStore, raw: sqlite3.Connection, sql: str, message: str
) -> None:
    with pytest.raises(sqlite3.IntegrityError, match=message):
        raw.execute(sql)
    assert recorded.record_tree_size() == 3
    assert recorded.latest_witnessed("moscow") == make_witnessed("moscow", 5)


def test_a_stored_proof_that_is_not_whole_hashes_is_named(
    recorded: SQLiteStore, raw: sqlite3.Connection
) -> None:
    # A damaged row must not pass for a good one (here, one written around the CHECK).
    raw.execute("PRAGMA ignore_check_constraints = ON")
    raw.execute(
        "INSERT INTO record_conflicts (log, peer, kind, detected_at, known, offered, proof, "
        "detail) VALUES ('ours', 'moscow', 'fork', ?, x'', x'01', zeroblob(33), '')",
        (at(1),),
    )
    with pytest.raises(StoreError, match="not whole hashes"):
        recorded.record_conflicts()


def test_node_reads_use_the_primary_key(recorded: SQLiteStore, sql_trace: list[str]) -> None:
    # Proofs read O(log n) nodes: the batch read must look each one up, not scan the table.
    with SQLiteStore.open(recorded.path) as traced:
        assert len(traced.record_nodes([(0, 0), (1, 0), (0, 2), (5, 5)])) == 3
    (select,) = [s for s in sql_trace if "record_nodes" in s and s.lstrip().startswith("WITH")]
    with closing(sqlite3.connect(recorded.path)) as connection:
        plan = connection.execute("EXPLAIN QUERY PLAN " + select.replace("?", "0")).fetchall()
    details = " ".join(row[-1] for row in plan)
    assert "USING PRIMARY KEY" in details
    assert "SCAN n" not in details
    assert "SCAN record_nodes" not in details
