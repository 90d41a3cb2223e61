"""The PostgreSQL statements behind the hash-chained journal (table ``journal``).

A mixin of :class:`~hotline.store.PostgreSQLStore`, the counterpart of
``_sqlite_journal`` (the preparation and hashing are shared with it). The
connection remembers the head it appended last; the ``journal_append_at_head``
trigger refuses a stale one, which undoes the call, and the append is then
retried once after reading the head.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import psycopg

from hotline.errors import StoreError
from hotline.store._pg_core import PAGE as _PAGE
from hotline.store._pg_core import Connection, PostgreSQLCore, translated
from hotline.store._sqlite_journal import _prepare, _Prepared
from hotline.store.interfaces import JournalStore
from hotline.store.journal import JournalChecker, journal_entry_hash
from hotline.store.records import ZERO_HASH, JournalEntry, built_journal_entry

__all__ = ["PostgreSQLJournalStore", "journal_from"]

_INSERT_ENTRY = (
    "INSERT INTO journal (seq, at, kind, data, prev_hash, hash) VALUES (%s, %s, %s, %s, %s, %s)"
)


def journal_from(row: tuple[Any, ...]) -> JournalEntry:
    """A journal row back to its entry (StoreError if its data is not a JSON object)."""
    seq, at, kind, data, prev_hash, hash_ = row
    try:
        decoded = json.loads(data)
    except (TypeError, json.JSONDecodeError) as exc:
        raise StoreError(f"journal seq {seq}: data is not JSON: {exc}") from None
    if not isinstance(decoded, dict):
        raise StoreError(f"journal seq {seq}: data is not a JSON object")
    return JournalEntry(
        seq=seq, at=at, kind=kind, data=decoded, prev_hash=bytes(prev_hash), hash=bytes(hash_)
    )


class PostgreSQLJournalStore(PostgreSQLCore, JournalStore):
    """:class:`~hotline.store.interfaces.JournalStore` on the ``journal`` table."""

    def append_journal(self, *, kind: str, at: str, data: Mapping[str, Any]) -> JournalEntry:
        prepared = _prepare(kind, at, data)
        return self._append(f"append a {kind!r} journal entry", [prepared])[0]

    def append_journal_many(
        self, entries: Sequence[tuple[str, str, Mapping[str, Any]]]
    ) -> list[JournalEntry]:
        prepared = [_prepare(kind, at, data) for kind, at, data in entries]
        if not prepared:
            return []
        return self._append(f"append {len(prepared)} journal entries", prepared)

    def _append(self, action: str, prepared: list[_Prepared]) -> list[JournalEntry]:
        """Chain ``prepared`` to the head and insert them, in a savepoint or their own transaction."""
        remembered = self._head
        try:
            with self._writing(action) as connection:
                entries = _insert_entries(
                    connection, remembered or _read_head(connection), prepared
                )
        except StoreError as exc:
            if remembered is None or not isinstance(exc.__cause__, psycopg.IntegrityError):
                raise
            # Another connection appended since our last entry; the call was
            # undone. Read the head, and try once more.
            with self._writing(action) as connection:
                entries = _insert_entries(connection, _read_head(connection), prepared)
        last = entries[-1]
        self._head = (last.seq, last.hash)
        self._head_in_transaction = self._depth > 0
        return entries

    def journal_head(self) -> bytes:
        if self._head is not None and self._head_in_transaction:
            return self._head[1]  # appended in this very transaction: nobody else wrote since
        with translated("read the journal head"):
            return _read_head(self._live())[1]

    def journal_size(self) -> int:
        if self._head is not None and self._head_in_transaction:
            return self._head[0]
        with translated("count the journal"):
            return _read_head(self._live())[0]

    def _journal_pages(self) -> Iterator[tuple[Any, ...]]:
        after = 0
        while True:
            rows = self._read(
                "read the journal",
                "SELECT seq, at, kind, data, prev_hash, hash FROM journal "
                "WHERE seq > %s ORDER BY seq LIMIT %s",
                (after, _PAGE),
            )
            for row in rows:
                after = row[0]
                yield row
            if len(rows) < _PAGE:
                return

    def iter_journal(self) -> Iterator[JournalEntry]:
        for row in self._journal_pages():
            yield journal_from(row)

    def verify_journal(self) -> str | None:
        checker = JournalChecker()
        for row in self._journal_pages():
            try:
                entry = journal_from(row)
            except StoreError as exc:
                return f"journal seq {row[0]}: unreadable row ({exc})"
            problem = checker.check(entry)
            if problem is not None:
                return problem
        return None


def _insert_entries(
    connection: Connection, head: tuple[int, bytes], prepared: list[_Prepared]
) -> list[JournalEntry]:
    seq, prev = head
    entries = []
    rows = []
    for kind, at, data, encoded in prepared:
        seq += 1
        digest = journal_entry_hash(seq, at, kind, data, prev)
        entries.append(
            built_journal_entry(seq=seq, at=at, kind=kind, data=data, prev_hash=prev, hash=digest)
        )
        rows.append((seq, at, kind, encoded, prev, digest))
        prev = digest
    if len(rows) == 1:
        connection.execute(_INSERT_ENTRY, rows[0])
    else:
        connection.cursor().executemany(_INSERT_ENTRY, rows)
    return entries


def _read_head(connection: Connection) -> tuple[int, bytes]:
    rows = connection.execute("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1").fetchall()
    return (int(rows[0][0]), bytes(rows[0][1])) if rows else (0, ZERO_HASH)
