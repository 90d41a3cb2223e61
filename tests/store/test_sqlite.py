"""SQLiteStore beyond the conformance suite: opening, PRAGMAs, pages, SQL traces, tampering, processes."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from hotline.errors import NotInitialised, StoreError
from hotline.store import (
    Direction,
    SQLiteStore,
    _sqlite_journal,
    _sqlite_messages,
    journal_entry_hash,
)
from hotline.testing import store_conformance as conformance
from hotline.testing.store_conformance import burst, fill, iterate_while_writing, snapshot

from .factories import T0, at, commits, make_message

# -- opening ------------------------------------------------------------------------


def test_open_creates_and_open_existing_requires(db_path: Path) -> None:
    with pytest.raises(NotInitialised):
        SQLiteStore.open_existing(db_path)
    assert not db_path.exists()  # refusing did not leave an empty file behind
    SQLiteStore.open(db_path).close()
    assert db_path.is_file()
    store = SQLiteStore.open_existing(db_path)
    assert store.path == db_path
    store.close()


def test_open_in_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="unable to open"):
        SQLiteStore.open(tmp_path / "no" / "such" / "hotline.db")


def test_pragmas(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[sqlite3.Connection] = []
    real_connect = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        opened.append(real_connect(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(sqlite3, "connect", connect)
    store = SQLiteStore.open(db_path)
    (connection,) = opened

    def pragma(name: str) -> Any:
        return connection.execute(f"PRAGMA {name}").fetchone()[0]

    assert pragma("journal_mode") == "wal"
    assert pragma("synchronous") == 2  # FULL
    assert pragma("foreign_keys") == 1
    assert pragma("busy_timeout") == 5000
    assert connection.isolation_level is None
    store.close()


# -- iterators: read in pages, so a slow reader pins no snapshot ----------------------------


def test_iter_messages_pages(peered: SQLiteStore, monkeypatch: pytest.MonkeyPatch) -> None:
    # The contract test, with pages of 2 so that it walks several.
    monkeypatch.setattr(_sqlite_messages, "_PAGE", 2)
    conformance.TestQueries().test_iter_messages(peered)


def test_iterating_while_writing(peered: SQLiteStore, monkeypatch: pytest.MonkeyPatch) -> None:
    # Each page is a fresh statement, so a message stored after the walk began is seen.
    monkeypatch.setattr(_sqlite_messages, "_PAGE", 2)
    assert iterate_while_writing(peered) == [1, 2, 3, 4]


# -- journal: rows tampered with behind the store's back ---------------------------------


def _journal_of(store: SQLiteStore, count: int) -> None:
    for n in range(1, count + 1):
        store.append_journal(kind="tick", at=at(n), data={"n": n})


def test_tampered_journal_row_is_found(store: SQLiteStore, raw: sqlite3.Connection) -> None:
    _journal_of(store, 5)
    raw.execute("DROP TRIGGER journal_no_update")
    raw.execute("""UPDATE journal SET data = '{"n":33}' WHERE seq = 3""")
    assert store.verify_journal() == "journal seq 3: hash does not match the entry's contents"


def test_rehashed_journal_row_is_found(store: SQLiteStore, raw: sqlite3.Connection) -> None:
    _journal_of(store, 5)
    raw.execute("DROP TRIGGER journal_no_update")
    (prev,) = raw.execute("SELECT prev_hash FROM journal WHERE seq = 3").fetchone()
    forged = journal_entry_hash(3, at(3), "tick", {"n": 33}, prev)
    raw.execute(
        """UPDATE journal SET data = '{"n":33}', hash = ? WHERE seq = 3""",
        (forged,),
    )
    assert store.verify_journal() == "journal seq 4: prev_hash does not match the hash of seq 3"


def test_deleted_journal_row_is_found(store: SQLiteStore, raw: sqlite3.Connection) -> None:
    _journal_of(store, 5)
    raw.execute("DROP TRIGGER journal_no_delete")
    raw.execute("DELETE FROM journal WHERE seq = 2")
    assert store.verify_journal() == "journal seq 2: missing (the next entry present is seq 3)"


def test_unreadable_journal_row_is_found(store: SQLiteStore, raw: sqlite3.Connection) -> None:
    _journal_of(store, 4)
    raw.execute("DROP TRIGGER journal_no_update")
    raw.execute("UPDATE journal SET data = '{not json' WHERE seq = 4")
    problem = store.verify_journal()
    assert problem is not None
    assert problem.startswith("journal seq 4: unreadable row")
    with pytest.raises(StoreError, match="seq 4"):
        list(store.iter_journal())


def test_journal_verify_pages(store: SQLiteStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_sqlite_journal, "_PAGE", 2)
    _journal_of(store, 7)
    assert [entry.seq for entry in store.iter_journal()] == list(range(1, 8))
    assert store.verify_journal() is None


# -- transactions: the SQL actually run (the conformance suite checks the counters) --------


def _count(connection: sqlite3.Connection, table: str) -> int:
    count: int = connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return count


def test_group_commit_is_one_commit(
    traced_store: SQLiteStore, sql_trace: list[str], raw: sqlite3.Connection
) -> None:
    sql_trace.clear()
    with traced_store.transaction():
        burst(traced_store, 10)
        assert _count(raw, "messages") == 0  # a plain connection, not a second store
    assert commits(sql_trace) == 1
    assert _count(raw, "messages") == 10


def test_without_a_transaction_each_write_commits(
    traced_store: SQLiteStore, sql_trace: list[str]
) -> None:
    sql_trace.clear()
    traced_store.add_incoming(make_message(1, Direction.IN))
    burst(traced_store, 3)  # 3 messages + 3 journal entries + last contact
    assert commits(sql_trace) == 8


def test_reads_do_not_commit(traced_store: SQLiteStore, sql_trace: list[str]) -> None:
    sql_trace.clear()
    traced_store.list_messages()
    traced_store.get_peer("moscow")
    traced_store.verify_journal()
    assert commits(sql_trace) == 0


def test_nested_transactions_share_one_commit(
    traced_store: SQLiteStore, sql_trace: list[str]
) -> None:
    sql_trace.clear()
    with traced_store.transaction():
        traced_store.add_outgoing(make_message(1))
        with traced_store.transaction():
            traced_store.add_outgoing(make_message(2))
            with traced_store.transaction():
                traced_store.append_journal(kind="k", at=T0, data={})
        assert commits(sql_trace) == 0
    assert commits(sql_trace) == 1
    # Only the nested blocks open savepoints; the single-statement writes add none.
    assert [s for s in sql_trace if s.startswith(("SAVEPOINT", "RELEASE"))] == [
        "SAVEPOINT hotline_1",
        "SAVEPOINT hotline_2",
        "RELEASE hotline_2",
        "RELEASE hotline_1",
    ]


# -- durability and concurrent readers ------------------------------------------------------


def test_open_and_open_existing_see_everything(db_path: Path) -> None:
    with SQLiteStore.open(db_path) as store:
        fill(store)
        before = snapshot(store)
    with SQLiteStore.open_existing(db_path) as reopened:
        assert snapshot(reopened) == before
    with SQLiteStore.open(db_path) as again:  # open on an existing file creates nothing
        assert snapshot(again) == before


_WRITER = """
import os, sys
sys.path[:0] = [sys.argv[2]]
from pathlib import Path
from factories import make_message
from hotline.store import SQLiteStore
store = SQLiteStore.open_existing(Path(sys.argv[1]))
store.add_outgoing(make_message(3))
store.append_journal(kind="before.crash", at="2026-11-22T04:31:14.123456Z", data={})
os._exit(0)  # no close, no cleanup: as if the process died here
"""


def test_committed_writes_survive_a_dying_process(db_path: Path) -> None:
    with SQLiteStore.open(db_path) as store:
        fill(store)
    result = subprocess.run(
        [sys.executable, "-c", _WRITER, str(db_path), str(Path(__file__).parent)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    with SQLiteStore.open_existing(db_path) as reopened:
        assert reopened.get_message("moscow-out-3") == make_message(3)
        assert [entry.kind for entry in reopened.iter_journal()][-1] == "before.crash"
        assert reopened.verify_journal() is None


_READER = """
import json, sys
from pathlib import Path
from hotline.store import SQLiteStore
with SQLiteStore.open_existing(Path(sys.argv[1])) as store:
    print(json.dumps({
        "messages": sorted(m.id for m in store.list_messages()),
        "journal": [entry.seq for entry in store.iter_journal()],
        "contact": store.last_contact("moscow"),
        "verify": store.verify_journal(),
    }))
"""


def _read_elsewhere(path: Path) -> dict[str, Any]:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", _READER, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    # Well under the 5 s busy timeout: the reader never waited for the writer's lock.
    assert time.monotonic() - started < 4
    seen: dict[str, Any] = json.loads(result.stdout)
    return seen


def test_reader_process_sees_last_committed_state(db_path: Path) -> None:
    with SQLiteStore.open(db_path) as store:
        fill(store)
        committed = {
            "messages": ["moscow-in-1", "moscow-out-1", "moscow-out-2"],
            "journal": [1],
            "contact": at(5),
            "verify": None,
        }
        assert _read_elsewhere(db_path) == committed
        with store.transaction():
            store.add_outgoing(make_message(3))
            store.add_incoming(make_message(2, Direction.IN))
            store.append_journal(kind="k", at=T0, data={})
            store.set_last_contact("moscow", at(9))
            assert _read_elsewhere(db_path) == committed
        assert _read_elsewhere(db_path) == {
            "messages": [
                "moscow-in-1",
                "moscow-in-2",
                "moscow-out-1",
                "moscow-out-2",
                "moscow-out-3",
            ],
            "journal": [1, 2],
            "contact": at(9),
            "verify": None,
        }
