"""The SQLite statements behind the hash-chained journal (table ``journal``).

A mixin of :class:`~hotline.store.SQLiteStore`. An append is on every message's
path: it writes with one statement and no savepoint. The connection remembers
the journal head it appended last (``SQLiteCore._head``), so an append needs no
read; the schema's ``journal_append_at_head`` trigger refuses a stale one
(another connection appended meanwhile), and the append then reads the head
again. The chain is read in pages by seq, like the message iterators.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping
from typing import Any

from hotline.errors import StoreError
from hotline.store._sqlite_core import PAGE as _PAGE
from hotline.store._sqlite_core import SQLiteCore, translated
from hotline.store.interfaces import JournalStore
from hotline.store.journal import JournalChecker, journal_entry_hash
from hotline.store.records import ZERO_HASH, JournalEntry, normalise_journal_data

__all__ = ["SQLiteJournalStore"]


def _journal_from(row: sqlite3.Row) -> JournalEntry:
    seq, at, kind, data, prev_hash, hash_ = row
    try:
        decoded = json.loads(data)
    except (TypeError, json.JSONDecodeError) as exc:
        raise StoreError(f"journal seq {seq}: data is not JSON: {exc}") from None
    if not isinstance(decoded, dict):
        raise StoreError(f"journal seq {seq}: data is not a JSON object")
    return JournalEntry(seq=seq, at=at, kind=kind, data=decoded, prev_hash=prev_hash, hash=hash_)


class SQLiteJournalStore(SQLiteCore, JournalStore):
    """:class:`~hotline.store.interfaces.JournalStore` on the ``journal`` table."""

    def append_journal(self, *, kind: str, at: str, data: Mapping[str, Any]) -> JournalEntry:
        normalised = normalise_journal_data(data)
        encoded = json.dumps(normalised, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        with self._statement(f"append a {kind!r} journal entry") as connection:
            remembered = self._head
            try:
                entry = self._insert_entry(
                    connection,
                    remembered or self._read_head(connection),
                    at,
                    kind,
                    normalised,
                    encoded,
                )
            except sqlite3.IntegrityError:
                self._head = None
                if remembered is None:
                    raise
                # Another connection appended since our last entry: read the head, once more.
                entry = self._insert_entry(
                    connection, self._read_head(connection), at, kind, normalised, encoded
                )
            self._head = (entry.seq, entry.hash)
            self._head_in_transaction = True
            return entry

    @staticmethod
    def _insert_entry(
        connection: sqlite3.Connection,
        head: tuple[int, bytes],
        at: str,
        kind: str,
        data: dict[str, Any],
        encoded: str,
    ) -> JournalEntry:
        seq, prev = head[0] + 1, head[1]
        entry = JournalEntry(
            seq=seq,
            at=at,
            kind=kind,
            data=data,
            prev_hash=prev,
            hash=journal_entry_hash(seq, at, kind, data, prev),
        )
        connection.execute(
            "INSERT INTO journal (seq, at, kind, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)",
            (entry.seq, entry.at, entry.kind, encoded, entry.prev_hash, entry.hash),
        )
        return entry

    @staticmethod
    def _read_head(connection: sqlite3.Connection) -> tuple[int, bytes]:
        rows = connection.execute(
            "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1"
        ).fetchall()
        return (rows[0][0], rows[0][1]) if rows else (0, ZERO_HASH)

    def journal_head(self) -> bytes:
        if self._head is not None and self._head_in_transaction:
            return self._head[1]  # appended in this very transaction: nobody else wrote since
        with translated("read the journal head"):
            return self._read_head(self._live())[1]

    def journal_size(self) -> int:
        if self._head is not None and self._head_in_transaction:
            return self._head[0]
        with translated("count the journal"):
            return self._read_head(self._live())[0]

    def _journal_pages(self) -> Iterator[sqlite3.Row]:
        after = 0
        while True:
            rows = self._read(
                "read the journal",
                "SELECT seq, at, kind, data, prev_hash, hash FROM journal "
                "WHERE seq > ? ORDER BY seq LIMIT ?",
                (after, _PAGE),
            )
            for row in rows:
                after = row[0]
                yield row
            if len(rows) < _PAGE:
                return

    def iter_journal(self) -> Iterator[JournalEntry]:
        for row in self._journal_pages():
            yield _journal_from(row)

    def verify_journal(self) -> str | None:
        checker = JournalChecker()
        for row in self._journal_pages():
            try:
                entry = _journal_from(row)
            except StoreError as exc:
                return f"journal seq {row[0]}: unreadable row ({exc})"
            problem = checker.check(entry)
            if problem is not None:
                return problem
        return None
