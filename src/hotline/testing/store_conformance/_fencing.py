"""FencingStore: the epoch of an active/standby pair starts at 0 and survives a reopen.

What raises it (the leader lock) is PostgreSQL's alone; its takeover and the
refusal of a fenced-out writer are tested on a real server
(tests/store/postgresql/test_fencing.py).
"""

from __future__ import annotations

from hotline.store import Store
from hotline.testing.store_conformance._fixtures import StoreFactory, make_party

__all__ = ["TestFencing"]


class TestFencing:
    def test_a_new_store_is_at_epoch_zero(self, store: Store) -> None:
        assert store.fencing_epoch() == 0

    def test_the_epoch_is_read_by_every_store_on_the_database(
        self, store: Store, store_factory: StoreFactory
    ) -> None:
        store.set_party(make_party())
        with store_factory() as other:
            assert other.fencing_epoch() == store.fencing_epoch() == 0
