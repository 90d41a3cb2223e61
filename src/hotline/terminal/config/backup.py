"""Backing up a terminal directory into one archive, and restoring it (docs/operations.md).

The archive is a gzip-compressed tar file holding, in this order:

``MANIFEST.json``
    ``{"format": "hotline-backup", "version": 1, "party", "made_at", "journal_head"
    (hex), "journal_size", "members": {path: SHA-256 hex}}``;
``hotline.db``
    a consistent copy of the SQLite store, made with SQLite's online backup API
    while the terminal runs (:func:`hotline.store.copy_sqlite_database`);
``hotline.toml``, ``keys/…``, ``tls/…``
    the settings and key files exactly as they are on disk (sealed if sealed).

Nothing else is carried: the log, the lock and the sockets belong to a running
process, not to the terminal. The archive is written beside ``--output`` and
renamed into place, mode 0600, so a crash never leaves half an archive under the
name a schedule checks.

A restore checks every member against the manifest before anything reaches the
target directory, checks that the restored journal's chain holds and ends at the
manifest's head, and only then renames its staging directory into place. A
terminal restored from an older backup lacks what happened after it; its peers
notice on the first session (its ``resume`` is behind what they hold receipts
for: ``peer rewound``, docs/protocol/delivery.md §5) and send it again.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from hotline.errors import BackupInvalid, NotInitialised
from hotline.store import DATABASE_FILENAME, copy_sqlite_database, open_store
from hotline.terminal.config.paths import TerminalPaths, sync_directory
from hotline.terminal.config.settings import load_settings
from hotline.terminal.runtime.clock import Clock, SystemClock
from hotline.utc import format_utc

__all__ = ["BACKUP_FORMAT", "BackupManifest", "backup_terminal", "restore_terminal"]

BACKUP_FORMAT = "hotline-backup"
_VERSION = 1
_MANIFEST = "MANIFEST.json"
#: The directories whose files are carried as they are.
_KEY_DIRECTORIES = ("keys", "tls")
_CHUNK = 1 << 20
#: A manifest is a few hundred bytes; a bigger one is not ours.
_MANIFEST_LIMIT = 1 << 20


@dataclass(frozen=True, slots=True, kw_only=True)
class BackupManifest:
    """What an archive holds: whose terminal, when, up to which journal entry, and each file's hash."""

    party: str
    made_at: str
    journal_head: bytes
    journal_size: int
    members: Mapping[str, str]

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "format": BACKUP_FORMAT,
                "version": _VERSION,
                "party": self.party,
                "made_at": self.made_at,
                "journal_head": self.journal_head.hex(),
                "journal_size": self.journal_size,
                "members": dict(self.members),
            },
            indent=2,
            sort_keys=True,
        ).encode()

    @classmethod
    def from_json(cls, data: bytes) -> BackupManifest:
        try:
            raw = json.loads(data)
            if raw.get("format") != BACKUP_FORMAT or raw.get("version") != _VERSION:
                raise BackupInvalid(
                    f"not a {BACKUP_FORMAT} version {_VERSION} archive "
                    f"(format {raw.get('format')!r}, version {raw.get('version')!r})"
                )
            members = raw["members"]
            if not isinstance(members, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in members.items()
            ):
                raise BackupInvalid("the manifest's members are not a table of hashes")
            return cls(
                party=str(raw["party"]),
                made_at=str(raw["made_at"]),
                journal_head=bytes.fromhex(raw["journal_head"]),
                journal_size=int(raw["journal_size"]),
                members=members,
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BackupInvalid(f"the archive's manifest is malformed: {exc}") from exc


def backup_terminal(directory: Path, output: Path, *, clock: Clock | None = None) -> BackupManifest:
    """Write a backup of the terminal in ``directory`` to ``output``; it may be running.

    :class:`BackupInvalid` for a terminal whose store is PostgreSQL (its database
    is backed up with the database's own tools: docs/operations.md).
    """
    clock = clock or SystemClock()
    paths = TerminalPaths(directory)
    if not paths.is_initialised():
        raise NotInitialised(f"{directory} is not a hotline terminal")
    if load_settings(paths.config).store_url is not None:
        raise BackupInvalid(
            "this terminal keeps its state in PostgreSQL: back the database up with "
            "pg_dump, and this directory's files with your usual tools (docs/operations.md)"
        )
    output = output.absolute()
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=f".{output.name}.") as staging:
        copy = Path(staging) / DATABASE_FILENAME
        copy_sqlite_database(paths.database, copy)
        store = open_store(copy, create=False)
        try:
            party = store.get_party()
            head, size = store.journal_head(), store.journal_size()
        finally:
            store.close()
        files = {DATABASE_FILENAME: copy, "hotline.toml": paths.config}
        files.update(_key_files(paths))
        manifest = BackupManifest(
            party=party.party if party is not None else "",
            made_at=format_utc(clock.now()),
            journal_head=head,
            journal_size=size,
            members={name: _sha256_file(path) for name, path in files.items()},
        )
        partial = Path(staging) / "archive.partial"
        _write_archive(partial, manifest, files, mtime=int(clock.now().timestamp()))
        os.replace(partial, output)
    _fsync_directory(output.parent)
    return manifest


def restore_terminal(archive: Path, directory: Path) -> BackupManifest:
    """Restore the backup ``archive`` into ``directory``, which must be empty or absent."""
    directory = directory.absolute()
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise BackupInvalid(f"{directory} is not empty: restore into a new or empty directory")
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f".{directory.name}.restore-"))
    try:
        try:
            with tarfile.open(archive, "r:gz") as tar:
                manifest = _extract(tar, staging)
        except (OSError, tarfile.TarError, EOFError) as exc:
            raise BackupInvalid(f"{archive} is not a readable hotline backup: {exc}") from exc
        _check_restored(staging, manifest)
        if directory.exists():
            directory.rmdir()  # empty, checked above
        os.rename(staging, directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _fsync_directory(directory.parent)
    return manifest


# --- Writing ------------------------------------------------------------------------------


def _key_files(paths: TerminalPaths) -> Iterator[tuple[str, Path]]:
    for name in _KEY_DIRECTORIES:
        root = paths.root / name
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                yield path.relative_to(paths.root).as_posix(), path


def _write_archive(
    target: Path, manifest: BackupManifest, files: Mapping[str, Path], *, mtime: int
) -> None:
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as raw:
        with tarfile.open(fileobj=raw, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
            text = manifest.to_json()
            _add(tar, _MANIFEST, io.BytesIO(text), len(text), mtime)
            for name, path in files.items():
                with path.open("rb") as handle:
                    _add(tar, name, handle, os.fstat(handle.fileno()).st_size, mtime)
        raw.flush()
        os.fsync(raw.fileno())


def _add(tar: tarfile.TarFile, name: str, data: BinaryIO, size: int, mtime: int) -> None:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = mtime
    info.mode = 0o600
    tar.addfile(info, data)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_directory(directory: Path) -> None:
    # The rename is durable only once the directory entry is; best effort here.
    with contextlib.suppress(OSError):
        sync_directory(directory)


# --- Reading ------------------------------------------------------------------------------


def _extract(tar: tarfile.TarFile, staging: Path) -> BackupManifest:
    """Write every member under ``staging``, checked against the manifest; the manifest."""
    manifest: BackupManifest | None = None
    seen: set[str] = set()
    try:
        for member in tar:
            name = _member_name(member)
            if manifest is None:
                if name != _MANIFEST or member.size > _MANIFEST_LIMIT:
                    raise BackupInvalid(f"the archive does not start with {_MANIFEST}")
                manifest = BackupManifest.from_json(_read_member(tar, member))
                continue
            expected = manifest.members.get(name)
            if expected is None or name in seen:
                raise BackupInvalid(f"the archive holds {name!r}, which its manifest does not list")
            seen.add(name)
            if _write_member(tar, member, staging / name) != expected:
                raise BackupInvalid(f"{name} in the archive does not match its manifest's hash")
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BackupInvalid(f"the archive is damaged: {exc}") from exc
    if manifest is None:
        raise BackupInvalid("the archive is empty")
    missing = sorted(set(manifest.members) - seen)
    if missing:
        raise BackupInvalid(f"the archive lacks {', '.join(missing)}")
    return manifest


def _member_name(member: tarfile.TarInfo) -> str:
    if not member.isfile():
        raise BackupInvalid(f"the archive holds {member.name!r}, which is not a plain file")
    path = PurePosixPath(member.name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise BackupInvalid(f"the archive holds an unsafe path: {member.name!r}")
    return path.as_posix()


def _read_member(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    handle = tar.extractfile(member)
    if handle is None:  # pragma: no cover - _member_name admits plain files only
        raise BackupInvalid(f"cannot read {member.name!r}")
    return handle.read()


def _write_member(tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> str:
    """Write ``member`` to ``target`` (0600, directories 0700); its SHA-256 hex."""
    handle = tar.extractfile(member)
    if handle is None:  # pragma: no cover - _member_name admits plain files only
        raise BackupInvalid(f"cannot read {member.name!r}")
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest()


def _check_restored(staging: Path, manifest: BackupManifest) -> None:
    """The restored store is whole: its journal's chain holds and ends where the manifest says."""
    os.chmod(staging, 0o700)
    if DATABASE_FILENAME not in manifest.members or "hotline.toml" not in manifest.members:
        raise BackupInvalid("the archive lacks the store or the settings")
    store = open_store(staging / DATABASE_FILENAME, create=False)
    try:
        problem = store.verify_journal()
        head, size = store.journal_head(), store.journal_size()
        party = store.get_party()
    finally:
        store.close()
    if problem is not None:
        raise BackupInvalid(f"the restored journal does not hold: {problem}")
    if (head, size) != (manifest.journal_head, manifest.journal_size):
        raise BackupInvalid("the restored journal does not end where the manifest says")
    if party is None or party.party != manifest.party:
        raise BackupInvalid("the restored store belongs to another party than the manifest's")
