"""The journal's hash chain: how an entry is hashed and how a chain is checked.

The journal is the terminal's own record of what happened (a message queued, a
receipt issued, a peer added, a signature refused). Each entry carries the hash
of the one before, so rewriting or removing an entry in the middle breaks every
link after it. This module is pure and backend-neutral: every store computes and
checks the chain with these same functions, so a journal exported from SQLite
verifies the same way in PostgreSQL.

The chain cannot, by itself, show that entries were cut off the *end*; that
takes the head hash kept somewhere else (a printout, a peer). ``journal_head``
exists to be kept. The journal is also the terminal's record log: entry ``seq``
is leaf ``seq - 1`` of an RFC 6962 Merkle tree whose checkpoints peers cosign,
and :func:`journal_leaf_data` is that leaf's data (docs/store.md §8).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from hotline.crypto._cbor import canonical_dumps
from hotline.store.records import ZERO_HASH, JournalEntry

__all__ = [
    "JOURNAL_DOMAIN",
    "JournalChecker",
    "journal_entry_hash",
    "journal_leaf_data",
    "verify_chain",
]

JOURNAL_DOMAIN = b"hotline-journal-v1\x00"
"""Prefix of every hashed journal entry, so the hash cannot be reused for anything else."""


def _entry_bytes(seq: int, at: str, kind: str, data: Mapping[str, Any], prev: bytes) -> bytes:
    # The one encoding of an entry: its chain hash and its record leaf are both
    # taken over these bytes, so the two can never disagree about an entry.
    # canonical_dumps is cbor2's canonical encoding, byte for byte, a few times faster.
    encoded = canonical_dumps(
        {"seq": seq, "at": at, "kind": kind, "data": dict(data), "prev": prev}
    )
    return JOURNAL_DOMAIN + encoded


def journal_entry_hash(seq: int, at: str, kind: str, data: Mapping[str, Any], prev: bytes) -> bytes:
    """SHA-256 over the domain tag and the canonical CBOR of the entry's five fields."""
    return hashlib.sha256(_entry_bytes(seq, at, kind, data, prev)).digest()


def journal_leaf_data(entry: JournalEntry) -> bytes:
    """The entry's leaf data in the record (RFC 6962 tree; leaf index ``entry.seq - 1``).

    Exactly the bytes whose SHA-256 is the entry's hash: the domain tag and the
    canonical CBOR of its five fields, taken from the entry as stored (its
    ``hash`` field is not part of them). The tree's leaf hash is
    ``SHA-256(0x00 || journal_leaf_data(entry))``.
    """
    return _entry_bytes(entry.seq, entry.at, entry.kind, entry.data, entry.prev_hash)


class JournalChecker:
    """Checks journal entries one at a time, in order, against the chain so far.

    Feed entries with :meth:`check`; the first one that does not follow returns
    a message naming its ``seq`` and what is wrong. A backend streams rows
    through this instead of loading the whole journal.
    """

    __slots__ = ("_expected_seq", "_prev")

    def __init__(self) -> None:
        self._expected_seq = 1
        self._prev = ZERO_HASH

    @property
    def head(self) -> bytes:
        """The hash of the last entry accepted, or zero bytes before the first."""
        return self._prev

    def check(self, entry: JournalEntry) -> str | None:
        """None if ``entry`` extends the chain (and remember it); else why not."""
        if entry.seq > self._expected_seq:
            return (
                f"journal seq {self._expected_seq}: missing "
                f"(the next entry present is seq {entry.seq})"
            )
        if entry.seq < self._expected_seq:
            return f"journal seq {entry.seq}: out of order (expected seq {self._expected_seq})"
        if entry.prev_hash != self._prev:
            before = "the zero hash" if entry.seq == 1 else f"the hash of seq {entry.seq - 1}"
            return f"journal seq {entry.seq}: prev_hash does not match {before}"
        expected = journal_entry_hash(entry.seq, entry.at, entry.kind, entry.data, entry.prev_hash)
        if entry.hash != expected:
            return f"journal seq {entry.seq}: hash does not match the entry's contents"
        self._expected_seq += 1
        self._prev = entry.hash
        return None


def verify_chain(entries: Iterable[JournalEntry]) -> str | None:
    """None if ``entries`` (ascending seq from 1) form an unbroken chain; else the first fault."""
    checker = JournalChecker()
    for entry in entries:
        problem = checker.check(entry)
        if problem is not None:
            return problem
    return None
