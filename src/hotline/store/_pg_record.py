"""The PostgreSQL statements behind the record (the ``record_*`` tables, schema migration 6).

A mixin of :class:`~hotline.store.PostgreSQLStore`, the counterpart of
``_sqlite_record`` (its value checks are shared). Every table is append-only,
by trigger; the checks here come first so that the caller gets a StoreError
that names what was refused. "Newest per peer" is ``DISTINCT ON (peer)``
over the ``(peer, size, …)`` index; a batch of node keys is one query over two
arrays, whatever its length.
"""

# Every interpolated name below is a module constant; values always go in as parameters.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Sequence

from hotline.errors import StoreError
from hotline.store._pg_core import Connection, PostgreSQLCore, check_limit, translated
from hotline.store._pg_journal import journal_from
from hotline.store._sqlite_record import (
    _checked_node,
    _checkpoint_from,
    _conflict_from,
    _cosignature_from,
    _int,
    _witnessed_from,
)
from hotline.store.interfaces import RecordStore
from hotline.store.records import (
    CheckpointRecord,
    CosignatureRecord,
    JournalEntry,
    RecordConflictRecord,
    WitnessedRecord,
)

__all__ = ["PostgreSQLRecordStore"]

_JOURNAL_COLUMNS = "seq, at, kind, data, prev_hash, hash"
_COSIGNATURE_COLUMNS = "peer, size, root, timestamp, line, received_at"
_WITNESSED_COLUMNS = "peer, size, root, note, cosigned_at"
_CONFLICT_COLUMNS = "id, log, peer, kind, detected_at, known, offered, proof, detail"

_LATEST_COSIGNATURES = (
    f"SELECT DISTINCT ON (peer) {_COSIGNATURE_COLUMNS} FROM record_cosignatures "
    "ORDER BY peer, size DESC, timestamp DESC, id DESC"
)
_LATEST_WITNESSED_ALL = (
    f"SELECT DISTINCT ON (peer) {_WITNESSED_COLUMNS} FROM record_witnessed "
    "ORDER BY peer, size DESC, id DESC"
)


def _nodes(connection: Connection, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    unique = list(dict.fromkeys(keys))
    if not unique:
        return {}
    rows = connection.execute(
        "SELECT n.level, n.idx, n.hash FROM unnest(%s::bigint[], %s::bigint[]) AS k (level, idx) "
        "JOIN record_nodes AS n ON n.level = k.level AND n.idx = k.idx",
        ([level for level, _ in unique], [index for _, index in unique]),
    ).fetchall()
    return {(int(level), int(index)): bytes(hash_) for level, index, hash_ in rows}


class PostgreSQLRecordStore(PostgreSQLCore, RecordStore):
    """:class:`~hotline.store.interfaces.RecordStore` on the ``record_*`` tables."""

    # -- the tree over the journal ------------------------------------------------------

    def record_tree_size(self) -> int:
        rows = self._read(
            "read the record tree size", "SELECT coalesce(max(size), 0) FROM record_tree"
        )
        return int(rows[0][0])

    def add_record_nodes(self, size: int, nodes: Sequence[tuple[int, int, bytes]]) -> None:
        _int("tree size", size, minimum=1)
        checked = [_checked_node(size, node) for node in nodes]
        with self._writing(f"grow the record tree to {size} leaves") as connection:
            (current,) = connection.execute(
                "SELECT coalesce(max(size), 0) FROM record_tree"
            ).fetchone() or (0,)
            if size <= current:
                raise StoreError(f"the record tree holds {current} leaves; it cannot become {size}")
            connection.execute("INSERT INTO record_tree (size) VALUES (%s)", (size,))
            if not checked:
                return
            cursor = connection.cursor()
            cursor.executemany(
                "INSERT INTO record_nodes (level, idx, hash) VALUES (%s, %s, %s) "
                "ON CONFLICT (level, idx) DO NOTHING",
                checked,
            )
            if cursor.rowcount != len(checked):
                # Some were held already (or given twice): each must have the same hash.
                held = _nodes(connection, [(level, index) for level, index, _ in checked])
                for level, index, hash_ in checked:
                    if held[level, index] != hash_:
                        raise StoreError(
                            f"record node ({level}, {index}) is already held with another hash"
                        )

    def record_node(self, level: int, index: int) -> bytes:
        rows = self._read(
            f"read record node ({level}, {index})",
            "SELECT hash FROM record_nodes WHERE level = %s AND idx = %s",
            (level, index),
        )
        if not rows:
            raise StoreError(f"record node ({level}, {index}) is not stored")
        return bytes(rows[0][0])

    def record_nodes(self, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        with translated("read record nodes"):
            return _nodes(self._live(), keys)

    def journal_entries(self, after_seq: int, limit: int) -> list[JournalEntry]:
        _int("after_seq", after_seq, minimum=0)
        rows = self._read(
            "read journal entries",
            f"SELECT {_JOURNAL_COLUMNS} FROM journal WHERE seq > %s ORDER BY seq LIMIT %s",
            (after_seq, check_limit(limit)),
        )
        return [journal_from(row) for row in rows]

    def journal_entry(self, seq: int) -> JournalEntry | None:
        rows = self._read(
            f"read journal entry {seq}",
            f"SELECT {_JOURNAL_COLUMNS} FROM journal WHERE seq = %s",
            (seq,),
        )
        return journal_from(rows[0]) if rows else None

    # -- our own checkpoints ---------------------------------------------------------------

    def add_checkpoint(self, cp: CheckpointRecord) -> None:
        with self._writing(f"store our checkpoint at size {cp.size}") as connection:
            held = connection.execute(
                "SELECT root, note FROM record_checkpoints WHERE size = %s", (cp.size,)
            ).fetchone()
            if held is not None:
                if (bytes(held[0]), bytes(held[1])) == (cp.root, cp.note):
                    return
                raise StoreError(f"another checkpoint at size {cp.size} is already held")
            row = connection.execute("SELECT max(size) FROM record_checkpoints").fetchone()
            latest = None if row is None else row[0]
            if latest is not None and cp.size < latest:
                raise StoreError(
                    f"a checkpoint at size {latest} is already held; "
                    f"one at size {cp.size} comes too late"
                )
            connection.execute(
                "INSERT INTO record_checkpoints (size, root, note, issued_at) "
                "VALUES (%s, %s, %s, %s)",
                (cp.size, cp.root, cp.note, cp.issued_at),
            )

    def latest_checkpoint(self) -> CheckpointRecord | None:
        rows = self._read(
            "read our latest checkpoint",
            "SELECT size, root, note, issued_at FROM record_checkpoints ORDER BY size DESC LIMIT 1",
        )
        return _checkpoint_from(rows[0]) if rows else None

    def checkpoint_at(self, size: int) -> CheckpointRecord | None:
        rows = self._read(
            f"read our checkpoint at size {size}",
            "SELECT size, root, note, issued_at FROM record_checkpoints WHERE size = %s",
            (size,),
        )
        return _checkpoint_from(rows[0]) if rows else None

    # -- peers' cosignatures of our checkpoints ----------------------------------------------

    def add_cosignature(self, c: CosignatureRecord) -> None:
        with self._writing(f"store {c.peer}'s cosignature at size {c.size}") as connection:
            held = connection.execute(
                "SELECT size, root, timestamp FROM record_cosignatures "
                "WHERE peer = %s AND line = %s",
                (c.peer, c.line),
            ).fetchone()
            if held is not None:
                if (held[0], bytes(held[1]), held[2]) == (c.size, c.root, c.timestamp):
                    return
                raise StoreError(f"{c.peer}'s cosignature line is already held for another tree")
            connection.execute(
                f"INSERT INTO record_cosignatures ({_COSIGNATURE_COLUMNS}) "
                "VALUES (%s, %s, %s, %s, %s, %s)",
                (c.peer, c.size, c.root, c.timestamp, c.line, c.received_at),
            )

    def latest_cosignatures(self) -> dict[str, CosignatureRecord]:
        rows = self._read("read the newest cosignatures", _LATEST_COSIGNATURES)
        return {row[0]: _cosignature_from(row) for row in rows}

    def cosignatures_for(self, size: int) -> list[CosignatureRecord]:
        rows = self._read(
            f"read the cosignatures at size {size}",
            f"SELECT {_COSIGNATURE_COLUMNS} FROM record_cosignatures WHERE size = %s ORDER BY id",
            (size,),
        )
        return [_cosignature_from(row) for row in rows]

    # -- peers' checkpoints we cosigned ---------------------------------------------------

    def add_witnessed(self, w: WitnessedRecord) -> None:
        with self._writing(f"store {w.peer}'s checkpoint at size {w.size}") as connection:
            held = connection.execute(
                "SELECT size, root FROM record_witnessed WHERE peer = %s AND note = %s",
                (w.peer, w.note),
            ).fetchone()
            if held is not None:
                if (held[0], bytes(held[1])) == (w.size, w.root):
                    return
                raise StoreError(f"{w.peer}'s note is already held for another tree")
            newest = connection.execute(
                "SELECT size, root FROM record_witnessed WHERE peer = %s "
                "ORDER BY size DESC, id DESC LIMIT 1",
                (w.peer,),
            ).fetchone()
            if newest is not None and (
                w.size < newest[0] or (w.size == newest[0] and w.root != bytes(newest[1]))
            ):
                raise StoreError(
                    f"we cosigned {w.peer}'s log at size {newest[0]}; a checkpoint at size "
                    f"{w.size} {'with another root ' if w.size == newest[0] else ''}"
                    "is a conflict, not a new checkpoint"
                )
            connection.execute(
                f"INSERT INTO record_witnessed ({_WITNESSED_COLUMNS}) VALUES (%s, %s, %s, %s, %s)",
                (w.peer, w.size, w.root, w.note, w.cosigned_at),
            )

    def latest_witnessed(self, peer: str) -> WitnessedRecord | None:
        rows = self._read(
            f"read {peer}'s newest checkpoint we cosigned",
            f"SELECT {_WITNESSED_COLUMNS} FROM record_witnessed WHERE peer = %s "
            "ORDER BY size DESC, id DESC LIMIT 1",
            (peer,),
        )
        return _witnessed_from(rows[0]) if rows else None

    def latest_witnessed_all(self) -> dict[str, WitnessedRecord]:
        rows = self._read("read the newest checkpoints we cosigned", _LATEST_WITNESSED_ALL)
        return {row[0]: _witnessed_from(row) for row in rows}

    # -- conflicts -------------------------------------------------------------------------

    def add_record_conflict(self, c: RecordConflictRecord) -> int:
        if c.id is not None:
            raise StoreError(f"a new record conflict has no id yet, not {c.id}")
        with self._writing(f"store a {c.kind} conflict about {c.log}'s log") as connection:
            # The next id under the writer lock: 1, 2, 3… with no gap, as SQLite gives them.
            row = connection.execute(
                "INSERT INTO record_conflicts "
                "(id, log, peer, kind, detected_at, known, offered, proof, detail) "
                "SELECT coalesce(max(id), 0) + 1, %s, %s, %s, %s, %s, %s, %s, %s "
                "FROM record_conflicts RETURNING id",
                (
                    c.log,
                    c.peer,
                    c.kind,
                    c.detected_at,
                    c.known,
                    c.offered,
                    b"".join(c.proof),
                    c.detail,
                ),
            ).fetchone()
            if row is None:  # an INSERT … RETURNING of one row always returns it
                raise StoreError("PostgreSQL gave the new record conflict no id")
        return int(row[0])

    def record_conflicts(self, limit: int = 100) -> list[RecordConflictRecord]:
        rows = self._read(
            "read record conflicts",
            f"SELECT {_CONFLICT_COLUMNS} FROM record_conflicts ORDER BY id DESC LIMIT %s",
            (check_limit(limit),),
        )
        return [_conflict_from(row) for row in rows]
