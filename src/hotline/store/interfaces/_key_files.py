"""Key files: this terminal's sealed key files, for the standby of an active/standby pair.

A terminal run as two processes on one PostgreSQL store (docs/ha.md) has two
directories, one per machine. ``hotline init --standby-of`` copies ``keys/``
and ``tls/`` once; a rotation, revocation or master change on the active
process changes them afterwards. The active process therefore puts its key
files here, **as they are on disk**: sealed under the passphrase (private
keys), encrypted (the TLS key), or public (certificates, revocations), never
a raw private key (:mod:`hotline.terminal.keyfiles` refuses to publish one).
The standby brings its directory up to date from them when it starts and
before it leads.

Each publication replaces the whole set (a file gone from the directory is
gone from here) under the next **generation**, so a standby can ask cheaply
whether anything changed since it last looked.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["KeyFileStore", "KeyFiles"]


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyFiles:
    """One publication: ``files`` maps a path relative to the terminal directory to its bytes."""

    generation: int
    published_at: str
    files: Mapping[str, bytes]


class KeyFileStore(ABC):
    """The terminal's published key files, replaced as a whole.

    Contract: a path is relative to the terminal directory, ``/``-separated,
    under ``keys/`` or ``tls/``, with no empty, ``.`` or ``..`` part; the
    content is bytes; ``at`` a UTC time; a publication names at least one
    file (StoreError otherwise). Generations count 1, 2, 3… and never repeat.
    """

    @abstractmethod
    def publish_key_files(self, files: Mapping[str, bytes], *, at: str) -> int:
        """Replace the published files by ``files``; return the new generation."""

    @abstractmethod
    def key_files(self) -> KeyFiles | None:
        """The files last published, or None if none ever were."""

    @abstractmethod
    def key_files_generation(self) -> int:
        """The generation last published (0: none): one cheap query, to poll."""
