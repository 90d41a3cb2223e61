"""The files inside a terminal directory, named in one place.

::

    DIR/hotline.toml        settings (written by ``init``, edited by the operator)
    DIR/hotline.db          the SQLite store (WAL: also hotline.db-wal, -shm), unless
                            hotline.toml's [store] url names a PostgreSQL database
    DIR/keys/               signing.key, encryption.key (mode 0600)
    DIR/tls/                cert.pem, key.pem: the identity key as a TLS certificate
    DIR/control.sock        the running daemon's control API (Unix socket, mode 0600)
    DIR/terminal.lock       held (flock) by the running daemon
    DIR/terminal.log        the daemon's log

Everything hotline creates in a terminal directory is owner-only, files
``0600`` and directories ``0700``, whatever the umask: ``hotline.toml`` holds
the alarm hook's shell command, the log names peers and addresses, and the
keys need no comment. The helpers below create with the mode given to
``open``/``mkdir`` *and* set it again with ``chmod`` (a umask can only take
bits away, but a file that already existed keeps its old mode otherwise).
The CLI also sets the umask to ``077`` at its start, which covers what
hotline does not create itself: SQLite's ``-wal`` and ``-shm`` files (SQLite
gives them the database file's mode, and the database is created here first)
and the Unix sockets between ``bind`` and their ``chmod``.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "PRIVATE_UMASK",
    "TerminalPaths",
    "private_dir",
    "private_file",
    "sync_directory",
    "write_private",
]

#: The umask the CLI runs under: nothing it creates is readable by others.
PRIVATE_UMASK = 0o077

_FILE_MODE = 0o600
_DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """Create directory ``path`` (and its missing parents) if need be; make it ``0700``."""
    path.mkdir(mode=_DIR_MODE, parents=True, exist_ok=True)
    os.chmod(path, _DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty if it does not exist; make it ``0600`` either way.

    For files another library opens afterwards (the log handler, SQLite),
    so that they find a private file instead of creating one under the umask.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), _FILE_MODE)
    try:
        os.fchmod(fd, _FILE_MODE)
    finally:
        os.close(fd)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (replacing its content), mode ``0600``, and fsync it."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags, _FILE_MODE)
    try:
        os.fchmod(fd, _FILE_MODE)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def sync_directory(path: Path) -> None:
    """fsync directory ``path``: a rename or a new file in it is durable only once it is."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True, slots=True)
class TerminalPaths:
    """Paths of one terminal directory."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "hotline.toml"

    @property
    def database(self) -> Path:
        return self.root / "hotline.db"

    @property
    def keys(self) -> Path:
        return self.root / "keys"

    @property
    def tls(self) -> Path:
        return self.root / "tls"

    @property
    def certificate(self) -> Path:
        return self.tls / "cert.pem"

    @property
    def tls_key(self) -> Path:
        return self.tls / "key.pem"

    @property
    def control_socket(self) -> Path:
        return self.root / "control.sock"

    @property
    def lock(self) -> Path:
        return self.root / "terminal.lock"

    @property
    def log(self) -> Path:
        return self.root / "terminal.log"

    def is_initialised(self) -> bool:
        """Settings, and a store: the SQLite file, or a ``[store] url`` (its database is elsewhere)."""
        if not self.config.is_file():
            return False
        return self.database.is_file() or self._names_a_store_url()

    def _names_a_store_url(self) -> bool:
        # A light read: the full settings (and their checks) are load_settings's job.
        if os.environ.get("HOTLINE_STORE_URL"):
            return True
        try:
            data = tomllib.loads(self.config.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            return False
        section = data.get("store")
        return isinstance(section, dict) and bool(section.get("url"))
