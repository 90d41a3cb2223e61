"""``copy_sqlite_to_postgresql`` refusals that need no terminal (the whole move: tests/cli/test_store_migrate.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.errors import StoreError
from hotline.store import ChainAdoption, SQLiteStore
from hotline.store.transfer import copy_sqlite_to_postgresql
from hotline.testing.store_conformance._fixtures import T0, make_party, make_peer


def test_a_store_that_adopted_its_chain_is_refused_before_anything_is_copied(
    tmp_path: Path, pg_url: str
) -> None:
    database = tmp_path / "hotline.db"
    with SQLiteStore.open(database) as store:
        store.set_party(make_party())
        store.add_peer(make_peer("moscow"))
        store.adopt_outgoing_chain(
            ChainAdoption(
                peer="moscow", held_before=0, serial=3, envelope_hash=bytes(32), adopted_at=T0
            )
        )
    with pytest.raises(StoreError, match="adopted its outgoing chain"):
        copy_sqlite_to_postgresql(database, pg_url)
