"""A terminal's own key revocations on disk: ``keys/revocations.cbor``.

``hotline key revoke`` has the master key sign a
:class:`~hotline.crypto.KeyRevocation` of one of the terminal's operational
keys (docs/keys.md, "Revocation"). The revocations are public, like the key
certificates beside them, and kept in ``keys/revocations.cbor``: a CBOR array
of encoded revocations, oldest first, each checked against the master when
read. ``hotline key list`` reads it (no passphrase) to show a key
``revoked``.
"""

from __future__ import annotations

import os

import cbor2

from hotline.crypto import KeyRevocation
from hotline.terminal.config.paths import TerminalPaths, sync_directory, write_private
from hotline.terminal.config.tiers import read_master_documents

__all__ = ["REVOCATIONS_FILE", "add_revocation", "read_revocations"]

REVOCATIONS_FILE = "revocations.cbor"


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
    path = paths.keys / REVOCATIONS_FILE
    staging = paths.keys / f".{REVOCATIONS_FILE}.new"
    write_private(staging, cbor2.dumps(items))
    os.replace(staging, path)
    sync_directory(paths.keys)
