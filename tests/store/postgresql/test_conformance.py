"""PostgreSQLStore against the Store conformance suite (hotline.testing.store_conformance)."""

from __future__ import annotations

import psycopg
import psycopg.sql
import pytest

from hotline.store.postgresql import PostgreSQLStore
from hotline.testing.store_conformance import *  # noqa: F403
from hotline.testing.store_conformance import DamageRow, StoreFactory


@pytest.fixture
def store_factory(pg_url: str) -> StoreFactory:
    return lambda: PostgreSQLStore.open(pg_url)


@pytest.fixture
def damage_row(pg_url: str) -> DamageRow:
    """Overwrite one column with raw bytes, past the triggers, as a flipped bit on the disk would."""

    def damage(message_id: str, column: str, raw: bytes) -> None:
        with psycopg.connect(pg_url, autocommit=False) as connection:
            connection.execute("ALTER TABLE messages DISABLE TRIGGER USER")
            connection.execute(
                psycopg.sql.SQL("UPDATE messages SET {} = %s WHERE id = %s").format(
                    psycopg.sql.Identifier(column)
                ),
                (raw, message_id.encode()),
            )
            connection.execute("ALTER TABLE messages ENABLE TRIGGER USER")

    return damage
