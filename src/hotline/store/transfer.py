"""Moving a terminal's state from its SQLite file into an empty PostgreSQL database.

The body of ``hotline store migrate``. Theory of operation:

* Both sides are at the same schema version: the SQLite file is opened (and,
  if older, migrated) by :class:`~hotline.store.sqlite.SQLiteStore`, the
  PostgreSQL database is given the current schema by
  :class:`~hotline.store.postgresql.PostgreSQLStore`. So the tables and their
  columns correspond one to one (checked here, column by column); what
  differs is only how values are typed (:func:`_converter`) and SQLite's
  ``rowid``, which PostgreSQL keeps as an identity column named ``seq``.
* Every table is copied in SQLite's creation order (a table is created after
  the tables it refers to) and, within it, in ``rowid`` order, with
  ``COPY … FROM STDIN``, all in **one** PostgreSQL transaction under the
  store's writer lock: an interrupted copy leaves the target as empty as it
  was. The target's own triggers run on every row (serials 1, 2, 3…, the
  journal chained at its head, the record tree growing), so a copy that
  would break a rule is refused by the same rules as a live write.
* Before the commit, each table is read back from PostgreSQL and compared
  with what was read from SQLite: the row count and a SHA-256 digest over
  the rows (order-independent, so it depends on values only). After the
  commit the journal is re-verified on the PostgreSQL side and its head
  compared with SQLite's; the caller (the CLI) then runs the full
  ``hotline verify`` over the new store before it switches the settings.
* A target that holds any row is refused: a migration never merges.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hotline.errors import StoreError
from hotline.store._pg_core import WRITER_LOCK, Connection, translated
from hotline.store.sqlite import SQLiteStore

__all__ = ["TableCopied", "TransferReport", "copy_sqlite_to_postgresql"]

_PAGE = 2048  # rows read from SQLite per fetch

#: Called once per table copied: its name and how many rows it held.
Progress = Callable[[str, int], None]


@dataclass(frozen=True, slots=True)
class TableCopied:
    """One table moved: its rows, and the digest both sides agree on."""

    table: str
    rows: int
    digest: str


@dataclass(frozen=True, slots=True)
class TransferReport:
    """What :func:`copy_sqlite_to_postgresql` moved and checked."""

    tables: tuple[TableCopied, ...]
    journal_entries: int
    journal_head: bytes

    @property
    def rows(self) -> int:
        return sum(table.rows for table in self.tables)


@dataclass(frozen=True, slots=True)
class _Column:
    name: str
    source: str  # the SQLite column it comes from ("rowid" for PostgreSQL's identity seq)
    convert: Callable[[Any], Any]


def _same(value: Any) -> Any:
    return value


def _to_bytes(value: Any) -> Any:
    # PostgreSQL keeps peer-supplied text as UTF-8 BYTEA (it may hold U+0000).
    return value.encode("utf-8") if isinstance(value, str) else value


def _to_bool(value: Any) -> Any:
    return None if value is None else bool(value)


def _converter(pg_type: str) -> Callable[[Any], Any]:
    if pg_type == "bytea":
        return _to_bytes
    if pg_type == "boolean":
        return _to_bool
    return _same


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


#: Tables whose rows belong to the database, not to the terminal: a new
#: PostgreSQL database's schema writes its own ``fencing`` row (epoch 0, no
#: holder) that the active/standby pair then moves; SQLite's copy of that row
#: (never used: a SQLite terminal is always active) is not carried over.
_NOT_COPIED = frozenset({"fencing"})


def _sqlite_tables(source: sqlite3.Connection) -> list[tuple[str, bool]]:
    """(name, has rowid) of every hotline table to copy, in creation order."""
    names = [
        row[0]
        for row in source.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
        )
    ]
    without_rowid = {
        row[1] for row in source.execute("PRAGMA table_list") if row[0] == "main" and row[4]
    }
    return [(name, name not in without_rowid) for name in names if name not in _NOT_COPIED]


def _plan(
    source: sqlite3.Connection, target: Connection, table: str, has_rowid: bool
) -> list[_Column]:
    """The target's columns, each with the SQLite column it is filled from."""
    sqlite_columns = {row[1] for row in source.execute(f"PRAGMA table_info({_quoted(table)})")}
    found = target.execute(
        "SELECT column_name, data_type, is_identity FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position",
        (table,),
    ).fetchall()
    if not found:
        raise StoreError(f"the PostgreSQL schema has no table {table}")
    columns = []
    for name, pg_type, identity in found:
        if name in sqlite_columns:
            columns.append(_Column(name, name, _converter(pg_type)))
        elif identity == "YES" and has_rowid:
            columns.append(_Column(name, "rowid", _same))  # SQLite's insertion order
        else:
            raise StoreError(f"{table}.{name} has no counterpart in the SQLite file")
    missing = sqlite_columns - {column.source for column in columns}
    if missing:
        raise StoreError(f"{table}: PostgreSQL has no column {', '.join(sorted(missing))}")
    return columns


def _row_digest(row: Sequence[Any]) -> bytes:
    """One row's canonical hash: each value's type and bytes, so 1, "1" and b"1" differ."""
    item = hashlib.sha256()
    for value in row:
        if value is None:
            item.update(b"N")
        elif isinstance(value, bool):
            item.update(b"B1" if value else b"B0")
        elif isinstance(value, int):
            item.update(b"I" + str(value).encode() + b";")
        elif isinstance(value, bytes | memoryview):
            data = bytes(value)
            item.update(b"X" + str(len(data)).encode() + b":" + data)
        elif isinstance(value, str):
            data = value.encode("utf-8")
            item.update(b"S" + str(len(data)).encode() + b":" + data)
        else:
            raise StoreError(f"cannot compare a {type(value).__name__} value")
    return item.digest()


class _TableDigest:
    """Row count and an order-independent digest: SHA-256 over the sorted row hashes."""

    def __init__(self) -> None:
        self.rows = 0
        self._hashes: list[bytes] = []

    def add(self, row: Sequence[Any]) -> None:
        self.rows += 1
        self._hashes.append(_row_digest(row))

    def hexdigest(self) -> str:
        total = hashlib.sha256()
        for item in sorted(self._hashes):
            total.update(item)
        return total.hexdigest()


def _source_rows(
    source: sqlite3.Connection, table: str, columns: list[_Column], has_rowid: bool
) -> Iterator[tuple[Any, ...]]:
    select = ", ".join(
        "rowid" if column.source == "rowid" else _quoted(column.source) for column in columns
    )
    order = " ORDER BY rowid" if has_rowid else ""
    cursor = source.execute(f"SELECT {select} FROM {_quoted(table)}{order}")  # noqa: S608
    while page := cursor.fetchmany(_PAGE):
        for row in page:
            yield tuple(column.convert(value) for column, value in zip(columns, row, strict=True))


def _target_digest(target: Connection, table: str, columns: list[_Column]) -> _TableDigest:
    digest = _TableDigest()
    select = ", ".join(_quoted(column.name) for column in columns)
    with target.cursor(name=f"hotline_check_{table}") as cursor:
        cursor.execute(f"SELECT {select} FROM {_quoted(table)}".encode())  # noqa: S608
        for row in cursor:
            digest.add(row)
    return digest


def _refuse_non_empty(target: Connection, tables: list[tuple[str, bool]]) -> None:
    for table, _ in tables:
        query = f"SELECT EXISTS (SELECT 1 FROM {_quoted(table)})"  # noqa: S608
        row = target.execute(query.encode()).fetchone()
        if row is not None and row[0]:
            raise StoreError(
                f"the PostgreSQL database is not empty (table {table} holds rows): "
                "a migration goes into a new, empty database"
            )


def _copy_table(
    source: sqlite3.Connection, target: Connection, table: str, has_rowid: bool
) -> TableCopied:
    columns = _plan(source, target, table, has_rowid)
    names = ", ".join(_quoted(column.name) for column in columns)
    sent = _TableDigest()
    # COPY writes identity columns from its input (as INSERT … OVERRIDING SYSTEM
    # VALUE would), so SQLite's rowid order survives as PostgreSQL's seq.
    with target.cursor() as cursor:
        with cursor.copy(f"COPY {_quoted(table)} ({names}) FROM STDIN".encode()) as copy:
            for row in _source_rows(source, table, columns, has_rowid):
                sent.add(row)
                copy.write_row(row)
        for column in columns:
            if column.source == "rowid" and sent.rows:
                # The identity goes on after the copied rows, not from 1.
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, %s), "  # noqa: S608
                    f"(SELECT max({_quoted(column.name)}) FROM {_quoted(table)}))",
                    (_quoted(table), column.name),
                )
    found = _target_digest(target, table, columns)
    if (found.rows, found.hexdigest()) != (sent.rows, sent.hexdigest()):
        raise StoreError(
            f"{table}: PostgreSQL holds {found.rows} rows (digest {found.hexdigest()[:16]}), "
            f"SQLite {sent.rows} (digest {sent.hexdigest()[:16]}); nothing was saved"
        )
    return TableCopied(table=table, rows=sent.rows, digest=sent.hexdigest())


def copy_sqlite_to_postgresql(
    database: Path, url: str, *, progress: Progress | None = None
) -> TransferReport:
    """Copy every table of the SQLite file ``database`` into the empty database at ``url``.

    The caller makes sure no terminal writes the file meanwhile. Raises
    StoreError (and leaves the target as it was) if the target holds any row,
    if a table does not correspond, or if a table read back differs; returns
    what was copied once it is committed and the journal re-verified there.
    """
    from hotline.store.postgresql import PostgreSQLStore, describe_url, open_connection

    with SQLiteStore.open_existing(database) as store:  # brings an older file up to date
        problem = store.verify_journal()
        if problem is not None:
            raise StoreError(f"the SQLite journal does not hold, nothing copied: {problem}")
        head = store.journal_head()
        if store.chain_adoptions():
            # Its messages and its adoptions must be replayed in the order they
            # happened for the target's serial trigger to accept them; a copy
            # table by table cannot, so it is refused before anything is written.
            raise StoreError(
                "this store adopted its outgoing chain after a restore (chain_adoptions); "
                "store migrate cannot copy such a store yet, nothing copied"
            )
    PostgreSQLStore.open(url).close()  # the current schema, if the database has none yet
    where = describe_url(url)
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        tables = _sqlite_tables(source)
        with translated(f"copy into {where}"), open_connection(url) as target:
            copied = []
            target.execute(b"BEGIN")
            try:
                target.execute(f"SELECT pg_advisory_xact_lock({WRITER_LOCK:d})".encode())
                _refuse_non_empty(target, tables)
                for table, has_rowid in tables:
                    copied.append(_copy_table(source, target, table, has_rowid))
                    if progress is not None:
                        progress(table, copied[-1].rows)
                target.execute(b"COMMIT")
            except BaseException:
                if not target.closed:
                    target.execute(b"ROLLBACK")
                raise
    finally:
        source.close()
    with PostgreSQLStore.open_existing(url) as moved:
        problem = moved.verify_journal()
        if problem is not None:
            raise StoreError(f"the journal copied to {where} does not hold: {problem}")
        if moved.journal_head() != head:
            raise StoreError(f"the journal head in {where} differs from the SQLite file's")
    journal = next(t.rows for t in copied if t.table == "journal")
    return TransferReport(tables=tuple(copied), journal_entries=journal, journal_head=head)
