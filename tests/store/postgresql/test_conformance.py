"""PostgreSQLStore against the Store conformance suite (hotline.testing.store_conformance)."""

from __future__ import annotations

import pytest

from hotline.store.postgresql import PostgreSQLStore
from hotline.testing.store_conformance import *  # noqa: F403
from hotline.testing.store_conformance import StoreFactory


@pytest.fixture
def store_factory(pg_url: str) -> StoreFactory:
    return lambda: PostgreSQLStore.open(pg_url)
