"""The calls table refuses, even to raw SQL, what the store never does: delete a record."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from hotline.store import SQLiteStore
from hotline.testing.store_conformance import make_call


def test_sql_refuses_deleting_calls(store: SQLiteStore, db_path: Path) -> None:
    store.put_call(make_call())
    with sqlite3.connect(db_path) as raw, pytest.raises(sqlite3.DatabaseError, match="never"):
        raw.execute("DELETE FROM calls")
    assert store.get_call("call-1") == make_call()
