"""Records check their own invariants; journal data is exactly JSON-shaped."""

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError, replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.errors import StoreError
from hotline.store import CONFLICT_KINDS, Direction, JournalEntry, MessageState
from hotline.store.records import ZERO_HASH, check_utc, normalise_journal_data
from hotline.testing.store_conformance import (
    make_alarm,
    make_call,
    make_checkpoint,
    make_conflict,
    make_cosignature,
    make_witnessed,
)

from .factories import T0, make_message, make_party, make_peer


def test_party_and_peer_build_and_freeze() -> None:
    party = make_party()
    assert party.routes == ("hotline.example.gov:7443",)
    with pytest.raises(FrozenInstanceError):
        party.party = "other"  # type: ignore[misc]
    peer = make_peer("moscow", routes=["a:1", "b:2"])
    assert peer.routes == ("a:1", "b:2")  # a list is kept as a tuple
    assert isinstance(peer.routes, tuple)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("party", ""),
        ("party", 7),
        ("signing_key", b""),
        ("signing_key", bytearray(b"k" * 32)),
        ("routes", "host:1"),
        ("routes", ("ok:1", 5)),
        ("timezone", ""),
        ("certificate", "pem text"),
        ("card_json", ""),
        ("fingerprint", ""),
        ("added_at", "2026-11-22 04:31:14"),
        ("added_at", "2026-11-22T04:31:14Z"),
    ],
)
def test_peer_rejects(field: str, value: object) -> None:
    with pytest.raises(StoreError, match=field if field != "routes" else "route"):
        # Some values have the wrong type on purpose: the record checks at run time.
        replace(make_peer("moscow"), **{field: value})  # type: ignore[arg-type]


def test_party_rejects_bad_created_at() -> None:
    with pytest.raises(StoreError, match="created_at"):
        make_party(created_at="yesterday")


def test_message_coerces_enum_strings() -> None:
    message = make_message(1, direction="out", state="queued")  # type: ignore[arg-type]
    assert message.direction is Direction.OUT
    assert message.state is MessageState.QUEUED


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"id": ""}, "id"),
        ({"direction": "sideways"}, "sideways"),
        ({"state": "lost"}, "lost"),
        ({"serial": 0}, "serial"),
        ({"serial": True}, "serial"),
        ({"serial": 1.0}, "serial"),
        ({"time_group": "22 0431Z"}, "time_group"),
        ({"time_group": "220431Z\n"}, "time_group"),
        ({"time_group": "\u0662\u0662\u0660\u0664\u0663\u0661Z"}, "time_group"),
        ({"sent_at": T0.replace("Z", "+00:00")}, "sent_at"),
        ({"text": "\ud800"}, "text"),
        ({"body": b""}, "body"),
        ({"envelope": bytearray(b"e")}, "envelope"),
        ({"envelope_hash": b"x" * 31}, "envelope_hash"),
        ({"created_at": None}, "created_at"),
        ({"receipt": b"r", "state": MessageState.QUEUED}, "receipt"),
        ({"transmitted_at": T0}, "queued"),
        ({"state": MessageState.SENT}, "transmitted_at"),
        ({"state": MessageState.DELIVERED, "receipt": b"r"}, "delivered_at"),
        ({"state": MessageState.DELIVERED, "delivered_at": T0}, "receipt"),
    ],
)
def test_outgoing_message_rejects(overrides: dict[str, Any], match: str) -> None:
    with pytest.raises(StoreError, match=match):
        replace(make_message(1, Direction.OUT), **overrides)


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"state": MessageState.SENT, "transmitted_at": T0, "receipt": None}, "always delivered"),
        ({"transmitted_at": T0}, "transmitted_at"),
        ({"receipt": None}, "receipt"),
        ({"delivered_at": None}, "delivered_at"),
    ],
)
def test_incoming_message_rejects(overrides: dict[str, Any], match: str) -> None:
    with pytest.raises(StoreError, match=match):
        replace(make_message(1, Direction.IN), **overrides)


def test_message_states_that_hold() -> None:
    queued = make_message(1)
    sent = replace(queued, state=MessageState.SENT, transmitted_at=T0)
    delivered = replace(sent, state=MessageState.DELIVERED, receipt=b"r", delivered_at=T0)
    # A receipt may arrive for a write whose transmitted mark was lost.
    early = replace(queued, state=MessageState.DELIVERED, receipt=b"r", delivered_at=T0)
    assert (sent.state, delivered.state, early.transmitted_at) == (
        MessageState.SENT,
        MessageState.DELIVERED,
        None,
    )
    assert make_message(1, Direction.IN, text="").text == ""


def test_check_utc() -> None:
    assert check_utc("at", T0) == T0
    with pytest.raises(StoreError, match=r"^at:"):
        check_utc("at", "2026-11-22")
    with pytest.raises(StoreError, match="at must be a str"):
        check_utc("at", 1_700_000_000)
    arabic_year = "\u0662\u0660\u0662\u0666" + T0[4:]  # digits of another script
    with pytest.raises(StoreError, match="not a UTC timestamp"):
        check_utc("at", arabic_year)


def test_journal_data_normalised() -> None:
    data = {"ids": ("a", "b"), "nested": {"n": [1, (2, None)], "ok": True}}
    assert normalise_journal_data(data) == {
        "ids": ["a", "b"],
        "nested": {"n": [1, [2, None]], "ok": True},
    }
    # A deep copy: later changes to the caller's data do not reach the entry.
    source = {"list": [1]}
    copy = normalise_journal_data(source)
    source["list"].append(2)
    assert copy == {"list": [1]}


@pytest.mark.parametrize(
    "data",
    [
        {"f": 1.5},
        {"b": b"bytes"},
        {"nested": {1: "int key"}},
        {"s": {"a", "b"}},
        {"bad": "\udc80"},
        ["not", "a", "mapping"],
    ],
)
def test_journal_data_refused(data: Any) -> None:
    with pytest.raises(StoreError):
        normalise_journal_data(data)


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@given(st.dictionaries(st.text(max_size=8), _json_values, max_size=5))
def test_journal_data_survives_json(data: dict[str, Any]) -> None:
    normalised = normalise_journal_data(data)
    assert json.loads(json.dumps(normalised, ensure_ascii=False)) == normalised
    assert normalised == data  # only lists and dicts here, so nothing changes


def test_journal_entry_checks_fields() -> None:
    entry = JournalEntry(
        seq=1, at=T0, kind="k", data={"t": (1,)}, prev_hash=ZERO_HASH, hash=b"h" * 32
    )
    assert entry.data == {"t": [1]}
    with pytest.raises(StoreError, match="seq"):
        replace(entry, seq=0)
    with pytest.raises(StoreError, match="prev_hash"):
        replace(entry, prev_hash=b"short")
    with pytest.raises(StoreError, match="kind"):
        replace(entry, kind="")
    with pytest.raises(StoreError, match="keys must be str"):
        replace(entry, data={"x": {2: 3}})


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"since": "yesterday"}, "since"),
        ({"cleared_at": "2026-11-23T18:00:00.000000Z"}, "go together"),
        ({"kind": ""}, "kind"),
    ],
)
def test_bad_alarm_records(changes: dict[str, str], match: str) -> None:
    with pytest.raises(StoreError, match=match):
        make_alarm("a", **changes)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"kind": "telegram"}, "video or audio"),
        ({"state": "on-hold"}, "call state"),
        ({"state": "ended"}, "outcome and an end time"),
        ({"outcome": "completed"}, "outcome and an end time"),
        (
            {"state": "ended", "outcome": "completed", "ended_at": "2026-11-23T16:10:05.750000Z"},
            "completed call was answered",
        ),
        (
            {"state": "ended", "outcome": "lost", "ended_at": "2026-11-23T16:10:05.750000Z"},
            "outcome",
        ),
        ({"requested_at": "16:00Z"}, "requested_at"),
        ({"direction": "out"}, "Direction"),
    ],
)
def test_bad_call_records_are_refused(change: dict[str, str], match: str) -> None:
    with pytest.raises(StoreError, match=match):
        make_call(**change)


# -- the record ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("factory", "field", "value"),
    [
        (make_checkpoint, "size", -1),
        (make_checkpoint, "size", True),
        (make_checkpoint, "size", 2**63),
        (make_checkpoint, "root", b"r" * 31),
        (make_checkpoint, "root", "ab" * 32),
        (make_checkpoint, "note", b""),
        (make_checkpoint, "issued_at", "now"),
        (make_cosignature, "peer", ""),
        (make_cosignature, "size", -3),
        (make_cosignature, "root", bytearray(32)),
        (make_cosignature, "timestamp", -1),
        (make_cosignature, "timestamp", 2**64 - 1),
        (make_cosignature, "line", ""),
        (make_cosignature, "line", "— moscow abc=\n— moscow def="),
        (make_cosignature, "received_at", "2026-11-22"),
        (make_witnessed, "peer", ""),
        (make_witnessed, "size", 1.0),
        (make_witnessed, "root", b""),
        (make_witnessed, "note", b""),
        (make_witnessed, "cosigned_at", ""),
        (make_conflict, "id", 0),
        (make_conflict, "log", ""),
        (make_conflict, "peer", ""),
        (make_conflict, "kind", "disagreement"),
        (make_conflict, "detected_at", "soon"),
        (make_conflict, "offered", b""),
        (make_conflict, "known", "text"),
        (make_conflict, "proof", b"\x00" * 32),
        (make_conflict, "proof", (b"\x00" * 32, b"\x00" * 33)),
    ],
)
def test_record_values_are_checked(factory: Any, field: str, value: object) -> None:
    with pytest.raises(StoreError, match=field):
        replace(factory(**_RECORD_ARGS[factory]), **{field: value})


_RECORD_ARGS: dict[Any, dict[str, Any]] = {
    make_checkpoint: {"size": 3},
    make_cosignature: {"peer": "moscow", "size": 3, "timestamp": 100},
    make_witnessed: {"peer": "moscow", "size": 3},
    make_conflict: {},
}


def test_record_values_that_pass() -> None:
    assert make_checkpoint(0).size == 0  # the empty tree has a checkpoint too
    assert make_cosignature("moscow", 3, 2**63 - 1).timestamp == 2**63 - 1
    conflict = make_conflict(proof=[b"\x01" * 32], known=b"")
    assert conflict.proof == (b"\x01" * 32,)  # a list is kept as a tuple
    assert conflict.known == b""  # no note held yet (a first checkpoint, badly signed)
    for kind in CONFLICT_KINDS:
        assert make_conflict(kind=kind).kind == kind
