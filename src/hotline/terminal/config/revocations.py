"""A terminal's own key revocations on disk: ``keys/revocations.cbor``.

``hotline key revoke`` has the master key sign a
:class:`~hotline.crypto.KeyRevocation` of one of the terminal's operational
keys (docs/keys.md, "Revocation"). The revocations are public, like the key
certificates beside them, and kept in ``keys/revocations.cbor``: a CBOR array
of encoded revocations, oldest first, each checked against the master when
read. ``hotline key list`` reads it (no passphrase) to show a key
``revoked``.

Revoking the signing key in use takes a rotation first (docs/keys.md,
"Revoking the key in use"): the revocation is signed at once but announced
only after the switch to the new key, and waits meanwhile in
``keys/revocation-pending.cbor`` (the same format, one revocation), so that
``key list`` shows it pending and a restart finishes it.
"""

from __future__ import annotations

import os

import cbor2

from hotline.crypto import KeyRevocation
from hotline.terminal.config.paths import TerminalPaths, sync_directory, write_private
from hotline.terminal.config.tiers import read_master_documents

__all__ = [
    "PENDING_REVOCATION_FILE",
    "REVOCATIONS_FILE",
    "add_revocation",
    "drop_pending_revocation",
    "pending_revocation",
    "read_revocations",
    "stage_revocation",
]

REVOCATIONS_FILE = "revocations.cbor"
PENDING_REVOCATION_FILE = "revocation-pending.cbor"


def read_revocations(paths: TerminalPaths) -> tuple[KeyRevocation, ...]:
    """Every revocation the terminal's master signed, oldest first; () if none.

    Each is verified; :class:`~hotline.errors.CryptoError` if the file is
    damaged or they are not all of one master.
    """
    return read_master_documents(
        paths.keys / REVOCATIONS_FILE, KeyRevocation.decode, what="key revocations"
    )


def add_revocation(paths: TerminalPaths, revocation: KeyRevocation) -> None:
    """Append ``revocation`` to ``keys/revocations.cbor``, aside and renamed (crash-safe)."""
    items = [item.encode() for item in read_revocations(paths)]
    items.append(revocation.encode())
    _write(paths, REVOCATIONS_FILE, items)


def _write(paths: TerminalPaths, name: str, items: list[bytes]) -> None:
    staging = paths.keys / f".{name}.new"
    write_private(staging, cbor2.dumps(items))
    os.replace(staging, paths.keys / name)
    sync_directory(paths.keys)


def pending_revocation(paths: TerminalPaths) -> KeyRevocation | None:
    """The signed revocation of the signing key in use, waiting for the switch; None if none."""
    items = read_master_documents(
        paths.keys / PENDING_REVOCATION_FILE, KeyRevocation.decode, what="key revocations"
    )
    return items[-1] if items else None


def stage_revocation(paths: TerminalPaths, revocation: KeyRevocation) -> None:
    """Keep ``revocation`` to announce after the switch (``keys/revocation-pending.cbor``)."""
    _write(paths, PENDING_REVOCATION_FILE, [revocation.encode()])


def drop_pending_revocation(paths: TerminalPaths) -> None:
    """The pending revocation was kept and announced: forget it."""
    (paths.keys / PENDING_REVOCATION_FILE).unlink(missing_ok=True)
    sync_directory(paths.keys)
