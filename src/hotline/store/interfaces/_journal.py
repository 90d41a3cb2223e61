"""The append-only, hash-chained journal of what happened."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from hotline.store.records import JournalEntry

__all__ = ["JournalStore"]


class JournalStore(ABC):
    """An append-only chain of entries, each hashed over its content and the one before.

    Contract: entries are numbered 1, 2, 3… with no gap and are never changed or
    deleted; each entry's ``prev_hash`` is the hash of the one before (32 zero
    bytes for the first) and its ``hash`` is
    :func:`~hotline.store.journal_entry_hash` of its fields. ``data`` comes back
    exactly as normalised on the way in. An entry appended by another store on
    the same database meanwhile is chained to, not overwritten.
    """

    @abstractmethod
    def append_journal(self, *, kind: str, at: str, data: Mapping[str, Any]) -> JournalEntry:
        """Append an entry chained to the current head and return it."""

    @abstractmethod
    def append_journal_many(
        self, entries: Sequence[tuple[str, str, Mapping[str, Any]]]
    ) -> list[JournalEntry]:
        """Append ``(kind, at, data)`` entries in order, chained, all or none; return them.

        The same entries as that many :meth:`append_journal` calls in one
        transaction, for a batch (a burst received or queued together).
        An empty sequence appends nothing.
        """

    @abstractmethod
    def journal_head(self) -> bytes:
        """Hash of the newest entry, or 32 zero bytes if the journal is empty."""

    @abstractmethod
    def journal_size(self) -> int:
        """How many entries the journal holds (the newest seq; 0 when empty)."""

    @abstractmethod
    def iter_journal(self) -> Iterator[JournalEntry]:
        """Every entry, ascending seq."""

    @abstractmethod
    def verify_journal(self) -> str | None:
        """None if the whole chain holds; else a message naming the first bad seq and why."""
