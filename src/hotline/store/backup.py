"""A consistent copy of a live SQLite store, for ``hotline backup``.

Copying ``hotline.db`` with ``cp`` while the terminal runs is unsafe: the
newest commits live in ``hotline.db-wal`` until a checkpoint moves them, and a
file copied mid-write is torn. SQLite's online backup API reads the database
(WAL included) inside one read transaction, so the copy is the database as
of one commit, while the terminal goes on writing. The copy is then switched
out of WAL mode so that it is one self-contained file.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from hotline.errors import BackupInvalid

__all__ = ["copy_sqlite_database"]


def copy_sqlite_database(source: Path, target: Path) -> None:
    """Copy the SQLite database ``source`` into the new file ``target`` (mode 0600).

    ``source`` may be in use by a running terminal. :class:`BackupInvalid` if it
    cannot be read or the copy fails SQLite's integrity check.
    """
    if not source.is_file():
        raise BackupInvalid(f"no database at {source}")
    # Created 0600 before SQLite opens it: the copy holds every message's text.
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    try:
        # Read-only: a backup must never write to the terminal's database.
        reader = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        try:
            writer = sqlite3.connect(target, isolation_level=None)
            try:
                # pages=-1: the whole database in one step, so one read transaction.
                reader.backup(writer, pages=-1)
                writer.execute("PRAGMA journal_mode = DELETE")
                (verdict,) = writer.execute("PRAGMA integrity_check").fetchone()
            finally:
                writer.close()
        finally:
            reader.close()
    except sqlite3.Error as exc:
        with contextlib.suppress(OSError):
            target.unlink()
        raise BackupInvalid(f"could not copy {source}: {exc}") from exc
    if verdict != "ok":
        target.unlink()
        raise BackupInvalid(f"the copy of {source} fails SQLite's integrity check: {verdict}")
