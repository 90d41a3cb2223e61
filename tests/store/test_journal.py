"""The journal hash is pinned to a vector; the chain checker names the first bad seq."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

import pytest

from hotline.store import ZERO_HASH, JournalEntry, journal_entry_hash
from hotline.store.journal import JOURNAL_DOMAIN, JournalChecker, journal_leaf_data, verify_chain

from .factories import T0, at

_DATA = {"id": "m-1", "serial": 1, "peers": ["moscow"]}

# Canonical CBOR of the five fields, written out by hand: a map of 5 with keys
# ordered shortest first ("at", "seq", then "data", "kind", "prev").
_VECTOR_CBOR = (
    "a5"
    "626174" "781b" + b"2026-11-22T04:31:14.123456Z".hex()
    + "63736571" "01"
    + "6464617461" "a3" "626964" "636d2d31" "6570656572738166" + b"moscow".hex()
    + "6673657269616c" "01"
    + "646b696e64" "6e" + b"message.queued".hex()
    + "6470726576" "5820" + "00" * 32
)  # fmt: skip
_VECTOR_HASH = "f447eaef45efcbbb665c673854b1b4cf3c350ea0df3494ec4b7a973e398599c0"


def test_hash_vector() -> None:
    computed = journal_entry_hash(1, T0, "message.queued", _DATA, ZERO_HASH)
    by_hand = hashlib.sha256(b"hotline-journal-v1\x00" + bytes.fromhex(_VECTOR_CBOR)).digest()
    assert computed == by_hand
    assert computed.hex() == _VECTOR_HASH
    assert JOURNAL_DOMAIN == b"hotline-journal-v1\x00"


def test_hash_ignores_key_order() -> None:
    reordered = {"serial": 1, "peers": ["moscow"], "id": "m-1"}
    assert journal_entry_hash(1, T0, "k", reordered, ZERO_HASH) == journal_entry_hash(
        1, T0, "k", _DATA, ZERO_HASH
    )


@pytest.mark.parametrize(
    "change",
    [
        {"seq": 2},
        {"at": at(1)},
        {"kind": "message.sent"},
        {"data": {**_DATA, "serial": 2}},
        {"data": {**_DATA, "serial": True}},
        {"prev": b"\x01" * 32},
    ],
)
def test_hash_covers_every_field(change: dict[str, Any]) -> None:
    fields: dict[str, Any] = {"seq": 1, "at": T0, "kind": "k", "data": _DATA, "prev": ZERO_HASH}
    base = journal_entry_hash(**fields)
    assert journal_entry_hash(**{**fields, **change}) != base


def _chain(length: int) -> list[JournalEntry]:
    entries: list[JournalEntry] = []
    prev = ZERO_HASH
    for seq in range(1, length + 1):
        data = {"n": seq}
        digest = journal_entry_hash(seq, at(seq), "tick", data, prev)
        entries.append(
            JournalEntry(seq=seq, at=at(seq), kind="tick", data=data, prev_hash=prev, hash=digest)
        )
        prev = digest
    return entries


def test_good_chain() -> None:
    entries = _chain(5)
    assert verify_chain(entries) is None
    assert verify_chain([]) is None
    checker = JournalChecker()
    assert checker.head == ZERO_HASH
    for entry in entries:
        assert checker.check(entry) is None
    assert checker.head == entries[-1].hash


def test_altered_content_names_its_seq() -> None:
    entries = _chain(5)
    entries[2] = replace(entries[2], data={"n": 99})
    assert verify_chain(entries) == "journal seq 3: hash does not match the entry's contents"


def test_rehashed_entry_breaks_the_next_link() -> None:
    entries = _chain(5)
    forged = replace(entries[2], kind="forged")
    entries[2] = replace(
        forged, hash=journal_entry_hash(3, forged.at, "forged", forged.data, forged.prev_hash)
    )
    assert verify_chain(entries) == "journal seq 4: prev_hash does not match the hash of seq 3"


def test_missing_entry() -> None:
    entries = _chain(5)
    del entries[1]
    assert verify_chain(entries) == "journal seq 2: missing (the next entry present is seq 3)"


def test_first_entry_must_start_from_zero() -> None:
    entries = _chain(2)
    assert verify_chain(entries[1:]) == "journal seq 1: missing (the next entry present is seq 2)"
    bad_first = replace(entries[0], prev_hash=b"\x07" * 32)
    assert verify_chain([bad_first]) == "journal seq 1: prev_hash does not match the zero hash"


def test_repeated_entry() -> None:
    entries = _chain(3)
    assert verify_chain([*entries[:2], entries[1]]) == (
        "journal seq 2: out of order (expected seq 3)"
    )


def test_leaf_data_is_what_the_hash_is_taken_over() -> None:
    # The record's leaf is exactly the hashed bytes: the pinned vector, by hand.
    entry = JournalEntry(
        seq=1,
        at=T0,
        kind="message.queued",
        data=_DATA,
        prev_hash=ZERO_HASH,
        hash=bytes.fromhex(_VECTOR_HASH),
    )
    assert journal_leaf_data(entry) == b"hotline-journal-v1\x00" + bytes.fromhex(_VECTOR_CBOR)
    for entry in _chain(4):
        assert hashlib.sha256(journal_leaf_data(entry)).digest() == entry.hash
    # The stored hash is not part of the leaf: a tampered hash leaves the leaf as it was.
    tampered = replace(entry, hash=b"\x09" * 32)
    assert journal_leaf_data(tampered) == journal_leaf_data(entry)
    assert journal_leaf_data(replace(entry, kind="forged")) != journal_leaf_data(entry)
