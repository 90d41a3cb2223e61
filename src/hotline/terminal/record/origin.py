"""Who a log is: its origin line, and the key names in its signed notes.

A C2SP checkpoint starts with an *origin*, which names the log and must be
unique to it; the same string is the name on the log's note signature and on
the cosignatures the terminal makes as a witness of its peers' logs. Party
names may hold spaces (``"United Kingdom"``), which a note key name may not,
so a space becomes ``_``; the first eight bytes of SHA-256 of the party's
Ed25519 key make the origin unique even between parties whose names differ
only in that way. A third party derives the origin from a peer card alone.
"""

from __future__ import annotations

import hashlib

__all__ = ["ORIGIN_PREFIX", "record_origin"]

ORIGIN_PREFIX = "hotline/"


def record_origin(party: str, signing_key: bytes) -> str:
    """The origin of ``party``'s log, and its name on notes: ``hotline/<party>/<16 hex>``."""
    if len(signing_key) != 32:
        raise ValueError("a signing key is 32 bytes")
    tag = hashlib.sha256(signing_key).digest()[:8].hex()
    return f"{ORIGIN_PREFIX}{party.replace(' ', '_')}/{tag}"
