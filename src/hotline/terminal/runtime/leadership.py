"""Which process of an active/standby pair is active: the leader lock, polled and watched.

A terminal on PostgreSQL may run as two ``hotline run`` processes (docs/ha.md).
:class:`Leadership` is the runner's view of the lead: the process starts as
``standby`` (its store fenced with an epoch no write can match), polls the
leader lock every :data:`POLL_INTERVAL` seconds, and once it holds the lock is
``active``: its store is fenced with the new epoch, and the runner starts the
terminal's listeners and dialers. While active it checks every
:data:`POLL_INTERVAL` that the lock's connection still answers; if not, it
steps down at once (the runner stops the terminal; a process manager restarts
it as a standby). A SQLite terminal has no partner and is always ``active``.
Sleeps go through the event loop, so a test's virtual clock drives them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hotline.store.postgresql import LeaderLock, PostgreSQLStore

__all__ = ["ACTIVE", "POLL_INTERVAL", "STANDBY", "STEPPED_DOWN", "Leadership"]

log = logging.getLogger("hotline.terminal")

ACTIVE = "active"
STANDBY = "standby"
STEPPED_DOWN = "stepped down"

POLL_INTERVAL = 0.5
"""Seconds between tries of the lock (standby) and checks that it is still held (active)."""


class Leadership:
    """The lead of one process; build it with :meth:`for_store` (None for a SQLite store)."""

    def __init__(self, lock: LeaderLock, store: PostgreSQLStore, *, holder: str) -> None:
        from hotline.store.postgresql import STANDBY_EPOCH

        self._lock = lock
        self._store = store
        self._holder = holder
        self.role = STANDBY
        self.epoch: int | None = None
        store.fence(STANDBY_EPOCH)  # until the lock is ours, nothing is written

    @classmethod
    def for_store(
        cls, store: Any, url: str | None, signing_key: bytes, holder: str
    ) -> Leadership | None:
        """The leadership of a PostgreSQL store at ``url``; None for SQLite (always active)."""
        if url is None:
            return None
        from hotline.store.postgresql import LeaderLock, leader_key

        return cls(LeaderLock(url, leader_key(signing_key)), store, holder=holder)

    def rebind(self, store: Any) -> None:
        """Fence ``store`` as the current one was (the terminal was opened again with new
        key files; docs/ha.md §6): with the epoch if active, else the standby's."""
        from hotline.store.postgresql import STANDBY_EPOCH

        self._store = store
        store.fence(self.epoch if self.role == ACTIVE and self.epoch is not None else STANDBY_EPOCH)

    def try_take(self, now: str) -> bool:
        """One try of the lock; True once this process is active."""
        if self.role == ACTIVE:
            return True
        epoch = self._lock.try_take(self._holder, now)
        if epoch is None:
            return False
        self._store.fence(epoch)
        self.role, self.epoch = ACTIVE, epoch
        log.info("active: took the lead at fencing epoch %d", epoch)
        return True

    async def watch(self, on_lost: Callable[[], None]) -> None:
        """While active, check the lock every POLL_INTERVAL; on its loss step down and call ``on_lost``."""
        while self._lock.held():  # noqa: ASYNC110 (as above)
            await asyncio.sleep(POLL_INTERVAL)
        self.role = STEPPED_DOWN
        log.error("lost the leader lock (epoch %s): stepping down", self.epoch)
        on_lost()

    def close(self) -> None:
        """Give up the lead (the standby may take it at once)."""
        self._lock.close()
