"""``hotline store migrate``: a stopped SQLite terminal moves its state into PostgreSQL.

The order is chosen so that every step can fail without losing anything:

1. the directory's lock (``terminal.lock``) is taken, as ``hotline run`` takes
   it: a running terminal is refused, and none can start while the copy runs;
2. the SQLite file is verified (``hotline verify``'s checks) and copied, in one
   PostgreSQL transaction, by :func:`hotline.store.transfer.copy_sqlite_to_postgresql`
   (row counts and a digest per table, the journal head);
3. the new store is verified the same way, and its report must equal the old
   one's (every count, no fault): the record's checkpoints and cosignatures
   still hold over the moved journal;
4. only then ``[store] url`` in ``hotline.toml`` is switched (written to a
   temporary file and renamed over it), and the SQLite file is renamed to
   ``hotline.db.migrated``, never deleted: going back is renaming it back and
   emptying the URL.

A failure before step 4 leaves the settings and the SQLite file untouched (the
PostgreSQL database may then hold the copy; drop it, or migrate into another).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hotline.crypto import Identity
from hotline.errors import ConfigError, NotInitialised, StoreError
from hotline.store import open_store
from hotline.store.transfer import Progress, TransferReport, copy_sqlite_to_postgresql
from hotline.terminal.config.masterchange import certificate_history
from hotline.terminal.config.paths import TerminalPaths
from hotline.terminal.config.settings import check_store_url, load_settings
from hotline.terminal.config.tiers import with_address
from hotline.terminal.record.verify import VerifyReport, verify_store
from hotline.terminal.runner import DirectoryLock
from hotline.terminal.standby import set_setting

__all__ = ["MIGRATED_SUFFIX", "StoreMoved", "move_store_to_postgresql"]

MIGRATED_SUFFIX = ".migrated"
"""Appended to the SQLite file's name once its state lives in PostgreSQL."""


@dataclass(frozen=True, slots=True)
class StoreMoved:
    """What a migration copied, what the new store verified to, and where the old file went."""

    transfer: TransferReport
    verified: VerifyReport
    archived: Path


def _verify(target: str | Path, identity: Identity, paths: TerminalPaths) -> VerifyReport:
    with open_store(target, create=False) as store:
        # Our masters' certificates: what we signed after a signing-key rotation.
        return verify_store(store, identity, certificates=certificate_history(paths))


def move_store_to_postgresql(
    directory: Path, url: str, *, progress: Progress | None = None
) -> StoreMoved:
    """Move the stopped terminal in ``directory`` from its SQLite file to the empty database ``url``."""
    paths = TerminalPaths(directory)
    if not paths.is_initialised():
        raise NotInitialised(f"{directory} is not a hotline terminal")
    url = check_store_url(url) or ""
    if not url:
        raise ConfigError("--to must be a postgresql:// URL")
    settings = load_settings(paths.config)
    if settings.store_url is not None:
        raise ConfigError(
            f"{directory} already keeps its state in PostgreSQL ([store] url or HOTLINE_STORE_URL)"
        )
    lock = DirectoryLock(paths.lock)
    lock.acquire_stopped(
        "hotline store migrate needs it stopped, so no message arrives during the copy"
    )
    try:
        identity = with_address(
            Identity.load(settings.party, paths.keys), certificate_history(paths)
        )
        before = _verify(paths.database, identity, paths)
        if not before.ok:
            raise StoreError(f"the SQLite store does not verify, nothing copied: {before.fault}")
        transfer = copy_sqlite_to_postgresql(paths.database, url, progress=progress)
        after = _verify(url, identity, paths)
        if after != before:
            raise StoreError(
                "the copy does not verify as the original did; settings unchanged "
                f"(SQLite: {before.summary()}; PostgreSQL: {after.summary()})"
            )
        set_setting(paths.config, "store", "url", url)
        archived = paths.database.with_name(paths.database.name + MIGRATED_SUFFIX)
        for suffix in ("", "-wal", "-shm"):  # a cleanly closed file leaves no WAL behind
            part = paths.database.with_name(paths.database.name + suffix)
            if part.exists():
                part.rename(part.with_name(part.name + MIGRATED_SUFFIX))
    finally:
        lock.release()
    return StoreMoved(transfer=transfer, verified=after, archived=archived)
