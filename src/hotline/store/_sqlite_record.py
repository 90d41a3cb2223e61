"""The SQLite statements behind the record (the ``record_*`` tables, schema migration 6).

A mixin of :class:`~hotline.store.SQLiteStore`. Nothing here is on a message's
path: the terminal grows the tree in batches and exchanges checkpoints now and
then. Every table is append-only, and the schema's triggers say so even to raw
SQL (``record_*_no_update``, ``record_*_no_delete``, ``record_tree_grows``,
``record_checkpoints_grow``, ``record_witnessed_forward``); the checks here come
first so that the caller gets a StoreError that names what was refused.

The tree size is the largest row of ``record_tree`` (one row per batch), so
growing the tree is an insert like everything else. "Newest per peer" reads
walk the distinct peers through their index (a loose index scan) rather than
grouping the whole table, which grows by one row per peer per checkpoint.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from hotline.errors import StoreError
from hotline.store._sqlite_core import SQLiteCore, check_limit, translated
from hotline.store._sqlite_journal import _journal_from
from hotline.store.interfaces import RecordStore
from hotline.store.records import (
    HASH_SIZE,
    CheckpointRecord,
    CosignatureRecord,
    JournalEntry,
    RecordConflictRecord,
    WitnessedRecord,
)

__all__ = ["SQLiteRecordStore"]

_MAX_LEVEL = 63
# Pairs per batched node read: two parameters each, well under SQLite's limit.
_KEYS_PER_READ = 250

# Every interpolated name below is a module constant; values always go in as parameters.
_JOURNAL_COLUMNS = "seq, at, kind, data, prev_hash, hash"
_COSIGNATURE_COLUMNS = "peer, size, root, timestamp, line, received_at"
_WITNESSED_COLUMNS = "peer, size, root, note, cosigned_at"
_CONFLICT_COLUMNS = "id, log, peer, kind, detected_at, known, offered, proof, detail"

# One row per peer: its newest, found through the (peer, size, …) index for each
# distinct peer in turn.
_NEWEST_PER_PEER = """
WITH RECURSIVE peers (peer) AS (
    SELECT min(peer) FROM {table}
    UNION ALL
    SELECT (SELECT min(peer) FROM {table} WHERE peer > peers.peer) FROM peers
    WHERE peers.peer IS NOT NULL
)
SELECT {columns} FROM peers JOIN {table} AS t ON t.id = (
    SELECT id FROM {table} WHERE peer = peers.peer ORDER BY {order} LIMIT 1
)
ORDER BY t.peer
"""
_LATEST_COSIGNATURES = _NEWEST_PER_PEER.format(
    table="record_cosignatures",
    columns=", ".join(f"t.{name}" for name in _COSIGNATURE_COLUMNS.split(", ")),
    order="size DESC, timestamp DESC, id DESC",
)
_LATEST_WITNESSED_ALL = _NEWEST_PER_PEER.format(
    table="record_witnessed",
    columns=", ".join(f"t.{name}" for name in _WITNESSED_COLUMNS.split(", ")),
    order="size DESC, id DESC",
)


def _int(name: str, value: object, *, minimum: int) -> int:
    # bool is an int subclass; True must not pass as 1.
    if type(value) is not int or value < minimum:
        raise StoreError(f"{name} must be an int >= {minimum}, not {value!r}")
    return value


def _checked_node(size: int, node: tuple[int, int, bytes]) -> tuple[int, int, bytes]:
    level, index, hash_ = node
    _int("node level", level, minimum=0)
    _int("node index", index, minimum=0)
    if level > _MAX_LEVEL:
        raise StoreError(f"node level must be at most {_MAX_LEVEL}, not {level}")
    if type(hash_) is not bytes or len(hash_) != HASH_SIZE:
        raise StoreError(f"node ({level}, {index}): the hash must be {HASH_SIZE} bytes")
    if (index + 1) << level > size:
        raise StoreError(
            f"node ({level}, {index}) covers leaves up to {(index + 1) << level}, "
            f"beyond the tree's {size}"
        )
    return level, index, hash_


def _cosignature_from(row: sqlite3.Row) -> CosignatureRecord:
    peer, size, root, timestamp, line, received_at = row
    return CosignatureRecord(
        peer=peer, size=size, root=root, timestamp=timestamp, line=line, received_at=received_at
    )


def _witnessed_from(row: sqlite3.Row) -> WitnessedRecord:
    peer, size, root, note, cosigned_at = row
    return WitnessedRecord(peer=peer, size=size, root=root, note=note, cosigned_at=cosigned_at)


def _checkpoint_from(row: sqlite3.Row) -> CheckpointRecord:
    size, root, note, issued_at = row
    return CheckpointRecord(size=size, root=root, note=note, issued_at=issued_at)


def _conflict_from(row: sqlite3.Row) -> RecordConflictRecord:
    conflict_id, log, peer, kind, detected_at, known, offered, proof, detail = row
    if len(proof) % HASH_SIZE:
        raise StoreError(f"record conflict {conflict_id}: the stored proof is not whole hashes")
    return RecordConflictRecord(
        id=conflict_id,
        log=log,
        peer=peer,
        kind=kind,
        detected_at=detected_at,
        known=known,
        offered=offered,
        proof=tuple(proof[i : i + HASH_SIZE] for i in range(0, len(proof), HASH_SIZE)),
        detail=detail,
    )


class SQLiteRecordStore(SQLiteCore, RecordStore):
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
            ).fetchone()
            if size <= current:
                raise StoreError(f"the record tree holds {current} leaves; it cannot become {size}")
            connection.execute("INSERT INTO record_tree (size) VALUES (?)", (size,))
            inserted = connection.executemany(
                "INSERT INTO record_nodes (level, idx, hash) VALUES (?, ?, ?) "
                "ON CONFLICT (level, idx) DO NOTHING",
                checked,
            ).rowcount
            if inserted != len(checked):
                # Some were held already (or given twice): each must have the same hash.
                held = self._nodes(connection, [(level, index) for level, index, _ in checked])
                for level, index, hash_ in checked:
                    if held[level, index] != hash_:
                        raise StoreError(
                            f"record node ({level}, {index}) is already held with another hash"
                        )

    @staticmethod
    def _nodes(
        connection: sqlite3.Connection, keys: Sequence[tuple[int, int]]
    ) -> dict[tuple[int, int], bytes]:
        unique = list(dict.fromkeys(keys))
        found: dict[tuple[int, int], bytes] = {}
        for start in range(0, len(unique), _KEYS_PER_READ):
            chunk = unique[start : start + _KEYS_PER_READ]
            values = ", ".join(["(?, ?)"] * len(chunk))
            parameters = [part for key in chunk for part in key]
            # A join from the keys (CROSS JOIN fixes the order): SQLite answers
            # "(level, idx) IN (VALUES …)" by scanning the whole table.
            rows = connection.execute(
                f"WITH keys (level, idx) AS (VALUES {values}) "  # noqa: S608 - placeholders only
                "SELECT n.level, n.idx, n.hash FROM keys CROSS JOIN record_nodes AS n "
                "ON n.level = keys.level AND n.idx = keys.idx",
                parameters,
            )
            for level, index, hash_ in rows:
                found[level, index] = hash_
        return found

    def record_node(self, level: int, index: int) -> bytes:
        rows = self._read(
            f"read record node ({level}, {index})",
            "SELECT hash FROM record_nodes WHERE level = ? AND idx = ?",
            (level, index),
        )
        if not rows:
            raise StoreError(f"record node ({level}, {index}) is not stored")
        return bytes(rows[0][0])

    def record_nodes(self, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        with translated("read record nodes"):
            return self._nodes(self._live(), keys)

    def journal_entries(self, after_seq: int, limit: int) -> list[JournalEntry]:
        _int("after_seq", after_seq, minimum=0)
        rows = self._read(
            "read journal entries",
            f"SELECT {_JOURNAL_COLUMNS} FROM journal WHERE seq > ? ORDER BY seq LIMIT ?",  # noqa: S608
            (after_seq, check_limit(limit)),
        )
        return [_journal_from(row) for row in rows]

    def journal_entry(self, seq: int) -> JournalEntry | None:
        rows = self._read(
            f"read journal entry {seq}",
            f"SELECT {_JOURNAL_COLUMNS} FROM journal WHERE seq = ?",  # noqa: S608
            (seq,),
        )
        return _journal_from(rows[0]) if rows else None

    # -- our own checkpoints ---------------------------------------------------------------

    def add_checkpoint(self, cp: CheckpointRecord) -> None:
        with self._statement(f"store our checkpoint at size {cp.size}") as connection:
            held = connection.execute(
                "SELECT root, note FROM record_checkpoints WHERE size = ?", (cp.size,)
            ).fetchone()
            if held is not None:
                if (held[0], held[1]) == (cp.root, cp.note):
                    return
                raise StoreError(f"another checkpoint at size {cp.size} is already held")
            (latest,) = connection.execute("SELECT max(size) FROM record_checkpoints").fetchone()
            if latest is not None and cp.size < latest:
                raise StoreError(
                    f"a checkpoint at size {latest} is already held; "
                    f"one at size {cp.size} comes too late"
                )
            connection.execute(
                "INSERT INTO record_checkpoints (size, root, note, issued_at) VALUES (?, ?, ?, ?)",
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
            "SELECT size, root, note, issued_at FROM record_checkpoints WHERE size = ?",
            (size,),
        )
        return _checkpoint_from(rows[0]) if rows else None

    # -- peers' cosignatures of our checkpoints ----------------------------------------------

    def add_cosignature(self, c: CosignatureRecord) -> None:
        with self._statement(f"store {c.peer}'s cosignature at size {c.size}") as connection:
            held = connection.execute(
                "SELECT size, root, timestamp FROM record_cosignatures WHERE peer = ? AND line = ?",
                (c.peer, c.line),
            ).fetchone()
            if held is not None:
                if (held[0], held[1], held[2]) == (c.size, c.root, c.timestamp):
                    return
                raise StoreError(f"{c.peer}'s cosignature line is already held for another tree")
            connection.execute(
                f"INSERT INTO record_cosignatures ({_COSIGNATURE_COLUMNS}) "  # noqa: S608
                "VALUES (?, ?, ?, ?, ?, ?)",
                (c.peer, c.size, c.root, c.timestamp, c.line, c.received_at),
            )

    def latest_cosignatures(self) -> dict[str, CosignatureRecord]:
        rows = self._read("read the newest cosignatures", _LATEST_COSIGNATURES)
        return {row[0]: _cosignature_from(row) for row in rows}

    def cosignatures_for(self, size: int) -> list[CosignatureRecord]:
        rows = self._read(
            f"read the cosignatures at size {size}",
            f"SELECT {_COSIGNATURE_COLUMNS} FROM record_cosignatures "  # noqa: S608
            "WHERE size = ? ORDER BY id",
            (size,),
        )
        return [_cosignature_from(row) for row in rows]

    # -- peers' checkpoints we cosigned ---------------------------------------------------

    def add_witnessed(self, w: WitnessedRecord) -> None:
        with self._statement(f"store {w.peer}'s checkpoint at size {w.size}") as connection:
            held = connection.execute(
                "SELECT size, root FROM record_witnessed WHERE peer = ? AND note = ?",
                (w.peer, w.note),
            ).fetchone()
            if held is not None:
                if (held[0], held[1]) == (w.size, w.root):
                    return
                raise StoreError(f"{w.peer}'s note is already held for another tree")
            newest = connection.execute(
                "SELECT size, root FROM record_witnessed WHERE peer = ? "
                "ORDER BY size DESC, id DESC LIMIT 1",
                (w.peer,),
            ).fetchone()
            if newest is not None and (
                w.size < newest[0] or (w.size == newest[0] and w.root != newest[1])
            ):
                raise StoreError(
                    f"we cosigned {w.peer}'s log at size {newest[0]}; a checkpoint at size "
                    f"{w.size} {'with another root ' if w.size == newest[0] else ''}"
                    "is a conflict, not a new checkpoint"
                )
            connection.execute(
                f"INSERT INTO record_witnessed ({_WITNESSED_COLUMNS}) "  # noqa: S608
                "VALUES (?, ?, ?, ?, ?)",
                (w.peer, w.size, w.root, w.note, w.cosigned_at),
            )

    def latest_witnessed(self, peer: str) -> WitnessedRecord | None:
        rows = self._read(
            f"read {peer}'s newest checkpoint we cosigned",
            f"SELECT {_WITNESSED_COLUMNS} FROM record_witnessed WHERE peer = ? "  # noqa: S608
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
        with self._statement(f"store a {c.kind} conflict about {c.log}'s log") as connection:
            cursor = connection.execute(
                "INSERT INTO record_conflicts "
                "(log, peer, kind, detected_at, known, offered, proof, detail) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
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
            )
            conflict_id = cursor.lastrowid
            if conflict_id is None:  # an INSERT into a rowid table always sets it
                raise StoreError("SQLite gave the new record conflict no id")
        return conflict_id

    def record_conflicts(self, limit: int = 100) -> list[RecordConflictRecord]:
        rows = self._read(
            "read record conflicts",
            f"SELECT {_CONFLICT_COLUMNS} FROM record_conflicts ORDER BY id DESC LIMIT ?",  # noqa: S608
            (check_limit(limit),),
        )
        return [_conflict_from(row) for row in rows]
