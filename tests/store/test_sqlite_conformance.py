"""SQLiteStore against the Store conformance suite (hotline.testing.store_conformance)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.store import SQLiteStore
from hotline.testing.store_conformance import *  # noqa: F403
from hotline.testing.store_conformance import StoreFactory


@pytest.fixture
def store_factory(tmp_path: Path) -> StoreFactory:
    path = tmp_path / "hotline.db"
    return lambda: SQLiteStore.open(path)
