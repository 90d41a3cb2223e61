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
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from hotline.errors import StoreError
from hotline.store._sqlite_core import PAGE as _PAGE
from hotline.store._sqlite_core import SQLiteCore, translated
from hotline.store.interfaces import JournalStore
from hotline.store.journal import JournalChecker, journal_entry_hash
from hotline.store.records import (
    ZERO_HASH,
    JournalEntry,
    built_journal_entry,
    check_text,
    check_utc,
    normalise_journal_data,
)

__all__ = ["SQLiteJournalStore"]

_INSERT_ENTRY = (
    "INSERT INTO journal (seq, at, kind, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)"
)

# One encoder, made once: json.dumps with options builds a new one per call.
_to_json = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode

# (kind, at, normalised data, its JSON): an entry checked and encoded, not yet chained.
_Prepared = tuple[str, str, dict[str, Any], str]


def _prepare(kind: str, at: str, data: Mapping[str, Any]) -> _Prepared:
    # The checks JournalEntry's constructor makes, made once (built_journal_entry trusts them).
    _check_kind(kind)
    check_utc("at", at)
    normalised = normalise_journal_data(data)
    return kind, at, normalised, _to_json(normalised)


def _check_kind(kind: object) -> None:
    if type(kind) is not str or not kind or not kind.isascii():
        check_text("kind", kind)  # the uncommon cases, with the record's own message


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
        return self._append_one(kind, _prepare(kind, at, data))

    def _append_one(self, kind: str, prepared: _Prepared) -> JournalEntry:
        # One row is one statement: inside a transaction it needs no savepoint
        # (SQLite undoes a failed statement on its own), the price of each message.
        connection = self._open_transaction()
        if connection is None:
            with self._writing(f"append a {kind!r} journal entry") as connection:
                return self._append(connection, [prepared])[0]
        try:
            return self._append(connection, [prepared])[0]
        except sqlite3.Error as exc:
            raise StoreError(f"could not append a {kind!r} journal entry: {exc}") from exc

    def append_journal_many(
        self, entries: Sequence[tuple[str, str, Mapping[str, Any]]]
    ) -> list[JournalEntry]:
        prepared = [_prepare(kind, at, data) for kind, at, data in entries]
        if not prepared:
            return []
        if len(prepared) == 1:
            return [self._append_one(entries[0][0], prepared[0])]
        # A savepoint (or its own transaction): a failure undoes every entry of the call.
        with self._writing(f"append {len(prepared)} journal entries") as connection:
            return self._append(connection, prepared)

    def _append(
        self, connection: sqlite3.Connection, prepared: list[_Prepared]
    ) -> list[JournalEntry]:
        """Chain ``prepared`` to the head and insert them (one statement for all)."""
        remembered = self._head
        try:
            entries = self._insert_entries(
                connection, remembered or self._read_head(connection), prepared
            )
        except sqlite3.IntegrityError:
            self._head = None
            if remembered is None:
                raise
            # Another connection appended since our last entry: read the head, once more.
            # The refused row was the first (the head trigger), so nothing was inserted.
            entries = self._insert_entries(connection, self._read_head(connection), prepared)
        last = entries[-1]
        self._head = (last.seq, last.hash)
        self._head_in_transaction = True
        return entries

    @staticmethod
    def _insert_entries(
        connection: sqlite3.Connection, head: tuple[int, bytes], prepared: list[_Prepared]
    ) -> list[JournalEntry]:
        seq, prev = head
        entries = []
        rows = []
        for kind, at, data, encoded in prepared:
            seq += 1
            digest = journal_entry_hash(seq, at, kind, data, prev)
            entries.append(
                built_journal_entry(
                    seq=seq, at=at, kind=kind, data=data, prev_hash=prev, hash=digest
                )
            )
            rows.append((seq, at, kind, encoded, prev, digest))
            prev = digest
        if len(rows) == 1:
            connection.execute(_INSERT_ENTRY, rows[0])
        else:
            connection.executemany(_INSERT_ENTRY, rows)
        return entries

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
