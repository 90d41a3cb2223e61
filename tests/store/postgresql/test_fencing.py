"""The leader lock and the fencing epoch on a real server: a paused former leader can never write.

Two stores on one database stand for the two ``hotline run`` processes of an
active/standby pair, each with its own :class:`LeaderLock`.
"""

from __future__ import annotations

import pytest

from hotline.errors import FencedOut
from hotline.store._pg_fencing import STANDBY_EPOCH, LeaderLock, leader_key
from hotline.store.postgresql import PostgreSQLStore
from hotline.testing.store_conformance import make_party

KEY = leader_key(b"\x01" * 32)


def test_the_second_takes_over_and_the_first_write_is_refused(pg_url: str) -> None:
    first, second = PostgreSQLStore.open(pg_url), PostgreSQLStore.open(pg_url)
    first_lock, second_lock = LeaderLock(pg_url, KEY), LeaderLock(pg_url, KEY)
    try:
        epoch = first_lock.try_take("first", "2026-12-01T00:00:00.000000Z")
        assert epoch == 1
        first.fence(epoch)
        second.fence(STANDBY_EPOCH)
        first.set_party(make_party())  # the active writes
        assert second_lock.try_take("second", "2026-12-01T00:00:01.000000Z") is None  # held
        with pytest.raises(FencedOut):
            second.set_last_contact(
                "nobody", "2026-12-01T00:00:01.000000Z"
            )  # a standby never writes
        assert first_lock.held()

        first_lock.close()  # the first process's connection is gone (died, or cut off)
        assert not first_lock.held()
        assert second_lock.try_take("second", "2026-12-01T00:00:02.000000Z") == 2
        second.fence(2)
        # The first process wakes up and tries to write: refused, nothing written.
        commits = first.statistics().commits
        with pytest.raises(FencedOut, match="epoch 1, the store is at 2"), first.transaction():
            first.append_journal(kind="stale", at="2026-12-01T00:00:03.000000Z", data={})
        assert first.statistics().commits == commits
        assert all(entry.kind != "stale" for entry in second.iter_journal())
        second.append_journal(kind="new leader", at="2026-12-01T00:00:03.000000Z", data={})
        assert second.fencing_epoch() == first.fencing_epoch() == 2
        assert second.verify_journal() is None
    finally:
        for lock in (first_lock, second_lock):
            lock.close()
        first.close()
        second.close()


def test_an_unfenced_store_writes_as_before(pg_url: str) -> None:
    with PostgreSQLStore.open(pg_url) as store:
        store.set_party(make_party())
        assert store.fencing_epoch() == 0
