"""Opening, closing and transactions: what every part of a store shares."""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from types import TracebackType
from typing import Self

__all__ = ["StoreStatistics", "TransactionalStore"]


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreStatistics:
    """Counters since the store was opened, for monitoring and for tests of group commit."""

    commits: int
    """Transactions this store committed (each one a flush to stable storage)."""
    rollbacks: int
    """Transactions rolled back whole (savepoint rollbacks inside one are not counted)."""


class TransactionalStore(ABC):
    """The lifetime of a store and its transactions; every other part writes through these.

    Contract:

    * **Durable on return.** A mutating method of any part has committed (and
      flushed to stable storage) before it returns, unless it runs inside
      :meth:`transaction`. The caller relies on this: a message's id is handed
      to an operator, and a receipt is sent to a peer, only after the row that
      backs it is committed.
    * **Group commit.** Inside ``with store.transaction():`` every write shares
      one commit, made when the outermost block exits normally, and counted once
      in :meth:`statistics`. A block left by an exception is rolled back and the
      exception re-raised. Nested blocks join the outer one; if an exception
      escapes only an inner block (and the caller catches it), just that block's
      writes are undone.
    * **All or nothing per call.** A mutating method that raises has changed
      nothing, in or out of a transaction.
    * **Reads** inside a block see the block's own writes; another store opened
      on the same database sees only what was committed.
    * **Closing** is final and idempotent; every later call raises
      :class:`~hotline.errors.StoreError`. Closing inside a block discards the
      block, whose exit then raises StoreError ("nothing was saved").

    One writer at a time: the daemon, from one thread, never awaiting inside a
    transaction.
    """

    @abstractmethod
    def close(self) -> None:
        """Release the backend; an open transaction is rolled back. Idempotent."""

    @abstractmethod
    def transaction(self) -> contextlib.AbstractContextManager[None]:
        """A block whose writes share one commit (see the class docstring)."""

    @abstractmethod
    def statistics(self) -> StoreStatistics:
        """Commit and rollback counters since open."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
