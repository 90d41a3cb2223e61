"""SQLiteStore against the Store conformance suite (hotline.testing.store_conformance)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from hotline.store import SQLiteStore
from hotline.testing.store_conformance import *  # noqa: F403
from hotline.testing.store_conformance import DamageRow, StoreFactory


@pytest.fixture
def store_factory(tmp_path: Path) -> StoreFactory:
    path = tmp_path / "hotline.db"
    return lambda: SQLiteStore.open(path)


@pytest.fixture
def damage_row(tmp_path: Path) -> DamageRow:
    """Overwrite one column with raw bytes, as a flipped bit on the disk would."""

    def damage(message_id: str, column: str, raw: bytes) -> None:
        raw_connection = sqlite3.connect(tmp_path / "hotline.db", isolation_level=None)
        try:
            (trigger,) = raw_connection.execute(
                "SELECT sql FROM sqlite_master WHERE name = 'messages_content_immutable'"
            ).fetchone()
            raw_connection.execute("BEGIN IMMEDIATE")
            raw_connection.execute("DROP TRIGGER messages_content_immutable")
            raw_connection.execute(
                f"UPDATE messages SET {column} = CAST(? AS TEXT) WHERE id = ?",
                (raw, message_id),
            )
            raw_connection.execute(trigger)
            raw_connection.execute("COMMIT")
        finally:
            raw_connection.close()

    return damage
