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
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

__all__ = ["TerminalPaths"]


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
