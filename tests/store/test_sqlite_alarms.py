"""The alarms table refuses, even to raw SQL, what the store never does: delete or rewrite."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from hotline.store import SQLiteStore
from hotline.testing.store_conformance import make_alarm


def test_sql_refuses_deleting_or_rewriting_alarms(store: SQLiteStore, db_path: Path) -> None:
    store.add_alarm(make_alarm("a"))
    store.clear_alarm("a", at="2026-11-23T18:00:00.000000Z", by="operator")
    connection = sqlite3.connect(db_path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
            connection.execute("DELETE FROM alarms")
        with pytest.raises(sqlite3.IntegrityError, match="only ever cleared"):
            connection.execute("UPDATE alarms SET cleared_at = NULL, cleared_by = NULL")
        with pytest.raises(sqlite3.IntegrityError, match="only ever cleared"):
            connection.execute("UPDATE alarms SET detail = 'nothing happened'")
    finally:
        connection.close()
