"""The key files an active/standby pair shares through its store (docs/ha.md §6).

The two processes of a pair run on two directories, one per machine, and share
one PostgreSQL store. ``hotline init --standby-of`` copies ``keys/`` and
``tls/`` once; after that, a rotation, a revocation or a master change on the
active process changes its files only. So the active process **publishes**
them in the store (:meth:`~hotline.store.Store.publish_key_files`), and the
standby **pulls** them into its own directory when it starts, every
:data:`CHECK_EVERY` seconds while it waits, and once more as it takes the
lead.

**What is published.** Every file under ``keys/`` and ``tls/`` as it is on
disk: the private keys sealed under the passphrase, ``tls/key.pem`` encrypted,
the certificates, the revocations, a staged rotation's files and markers. Never
a raw private key: a terminal with unprotected keys publishes nothing (its
standby is copied by hand), and a file holding a private key that is not
sealed or encrypted is neither published nor touched by a pull. The console's
certificate and key (``tls/console-*``: each machine's own, its key in the
clear) stay out of it too. The standby opens what it
pulls with the passphrase it was started with, which is the active's.

**Which side is newer.** The directory remembers, in ``keys/.synced``, the
digest of the publication it last matched (published or pulled). Comparing
the directory (L), the store's publication (S) and that mark (M):

- L = S: in sync.
- M = S, L ≠ S: the directory changed since, the store did not (a
  ``hotline passphrase change`` on a stopped terminal, a TLS key renewed at
  the start, files copied by hand): the process that leads publishes it; a
  standby keeps it.
- otherwise the store changed: pull it. A pull writes each changed file
  atomically (a temporary file, fsync, rename, fsync of the directory;
  ``0600``, directories ``0700``) and removes the files the publication no
  longer has, then the mark: a pull cut short is pulled again next time.

A publication is journaled (``key files published``: its generation, digest
and paths) in the transaction that writes it; the keys desk publishes in the
transaction of its key event's journal entry, or right after it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from hotline.crypto import Identity, is_sealed
from hotline.store import Store
from hotline.terminal.config.paths import (
    TerminalPaths,
    private_dir,
    sync_directory,
    write_private,
)

__all__ = [
    "CHECK_EVERY",
    "KeySync",
    "key_files_digest",
    "key_files_on_disk",
    "publish_key_files",
    "sync_key_files",
]

CHECK_EVERY: Final = 5.0
"""Seconds between a waiting standby's looks at the store's publication generation."""

#: The digest of the publication the directory last matched (not itself published).
_MARK = "keys/.synced"
#: The suffix of a file being pulled, before its rename (never published).
_PULLING = ".pulling"
#: The console's certificate and key: each machine's own, with its own address.
_CONSOLE = "tls/console-"
_PRIVATE_PEM = b"PRIVATE KEY-----"
_ENCRYPTED_PEM = b"-----BEGIN ENCRYPTED PRIVATE KEY-----"


@dataclass(frozen=True, slots=True, kw_only=True)
class KeySync:
    """What one look at the store did to the directory."""

    #: "in sync", "pulled", "published", "kept" (a local change a standby keeps),
    #: "none published" (nothing in the store yet) or "unprotected" (raw keys:
    #: nothing is shared).
    action: str
    #: The store's generation after the look (0: nothing published).
    generation: int
    #: The paths written or removed in the directory (a pull).
    changed: tuple[str, ...] = ()


def key_files_on_disk(paths: TerminalPaths) -> dict[str, bytes]:
    """The directory's files that a publication carries: path (``keys/…``, ``tls/…``) → bytes."""
    found: dict[str, bytes] = {}
    for top in (paths.keys, paths.tls):
        if not top.is_dir():
            continue
        for path in sorted(top.rglob("*")):
            if not path.is_file() or path.is_symlink():
                continue
            relative = path.relative_to(paths.root).as_posix()
            data = path.read_bytes()
            if _carried(relative, data):
                found[relative] = data
    return found


def _carried(relative: str, data: bytes) -> bool:
    """Whether a publication carries this file: never a private key in the clear."""
    if relative == _MARK or relative.endswith(_PULLING) or relative.startswith(_CONSOLE):
        return False
    if is_sealed(data) or _ENCRYPTED_PEM in data:
        return True
    if _PRIVATE_PEM in data:
        return False  # a PEM private key in the clear (the console's, per machine)
    # A raw key file (unprotected keys) is 32 bytes; every other file here is public.
    return not relative.endswith(".key")


def key_files_digest(files: Mapping[str, bytes]) -> str:
    """One SHA-256 over the paths and contents of ``files``, in path order (hex)."""
    outer = hashlib.sha256()
    for path in sorted(files):
        outer.update(path.encode("utf-8") + b"\x00" + hashlib.sha256(files[path]).digest())
    return outer.hexdigest()


def publish_key_files(store: Store, paths: TerminalPaths, *, at: str) -> int | None:
    """Publish the directory's key files unless the store holds them already; the new
    generation, or None when nothing changed.

    Journaled (``key files published``) in the transaction that writes them.
    Call it only for sealed keys on a shared store (the daemon decides:
    ``Terminal`` passes it to the desks as ``DeskServices.key_files_changed``).
    """
    if not Identity.keys_sealed(paths.keys):
        return None  # raw keys never go into a store
    files = key_files_on_disk(paths)
    digest = key_files_digest(files)
    published = store.key_files()
    if published is not None and key_files_digest(published.files) == digest:
        _mark(paths, digest)
        return None
    with store.transaction():
        generation = store.publish_key_files(files, at=at)
        store.append_journal(
            kind="key files published",
            at=at,
            data={"generation": generation, "digest": digest, "files": sorted(files)},
        )
    _mark(paths, digest)
    return generation


def sync_key_files(store: Store, paths: TerminalPaths, *, lead: bool, at: str) -> KeySync:
    """Bring the directory and the store's publication together (the module's rules).

    ``lead``: this process holds the lead, and may publish a local change
    (or the first publication); a standby never writes the store.
    """
    if not Identity.keys_sealed(paths.keys):
        return KeySync(action="unprotected", generation=0)
    published = store.key_files()
    local = key_files_on_disk(paths)
    digest = key_files_digest(local)
    if published is None:
        if not lead:
            return KeySync(action="none published", generation=0)
        generation = publish_key_files(store, paths, at=at)
        return KeySync(action="published", generation=generation or 0)
    theirs = key_files_digest(published.files)
    if theirs == digest:
        _mark(paths, digest)
        return KeySync(action="in sync", generation=published.generation)
    if _read_mark(paths) == theirs:
        if not lead:
            return KeySync(action="kept", generation=published.generation)
        generation = publish_key_files(store, paths, at=at)
        return KeySync(action="published", generation=generation or published.generation)
    changed = _pull(paths, published.files, local)
    _mark(paths, theirs)
    return KeySync(action="pulled", generation=published.generation, changed=changed)


def _pull(
    paths: TerminalPaths, files: Mapping[str, bytes], local: Mapping[str, bytes]
) -> tuple[str, ...]:
    changed: list[str] = []
    for relative in sorted(files):
        if local.get(relative) == files[relative]:
            continue
        target = _inside(paths, relative)
        for parent in reversed(target.relative_to(paths.root).parents[:-1]):
            private_dir(paths.root / parent)
        temporary = target.with_name(target.name + _PULLING)
        write_private(temporary, files[relative])
        os.replace(temporary, target)
        sync_directory(target.parent)
        changed.append(relative)
    for relative in sorted(set(local) - set(files)):
        target = _inside(paths, relative)
        target.unlink(missing_ok=True)
        sync_directory(target.parent)
        changed.append(relative)
        _prune(paths, target.parent)
    return tuple(changed)


def _inside(paths: TerminalPaths, relative: str) -> Path:
    """``relative`` under the directory, refusing a path that leaves ``keys/`` or ``tls/``."""
    parts = relative.split("/")
    if parts[0] not in ("keys", "tls") or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"a key file outside keys/ and tls/: {relative!r}")
    return paths.root.joinpath(*parts)


def _prune(paths: TerminalPaths, directory: Path) -> None:
    """Remove ``directory`` and its parents below keys/ or tls/ while they are empty
    (a staged rotation's directory the publication no longer has)."""
    while directory not in (paths.keys, paths.tls, paths.root) and not any(directory.iterdir()):
        directory.rmdir()
        directory = directory.parent


def _mark(paths: TerminalPaths, digest: str) -> None:
    mark = paths.root / _MARK
    if _read_mark(paths) != digest and mark.parent.is_dir():
        write_private(mark, digest.encode("ascii"))


def _read_mark(paths: TerminalPaths) -> str | None:
    try:
        return (paths.root / _MARK).read_text(encoding="ascii").strip() or None
    except (OSError, UnicodeDecodeError):
        return None
