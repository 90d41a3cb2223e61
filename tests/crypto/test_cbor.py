"""The fast canonical encoder is byte-identical to cbor2's, and the strict read as strict."""

from __future__ import annotations

from typing import Any

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.crypto import _cbor
from hotline.crypto._cbor import canonical_dumps, loads_canonical_map
from hotline.errors import EnvelopeInvalid

# Every value kind hotline signs, including big ints (bignum tags), empty and
# non-ASCII keys (UTF-8 order), lone surrogates (unencodable) and nested maps.
_TEXT = st.text(max_size=12) | st.sampled_from(["", "a", "b", "aa", "é", "\U0001f600", "\ud800"])
_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.binary(max_size=40)
    | _TEXT
)
# Values the fast path hands back to cbor2: floats, tags, sets, non-text keys.
_OTHER = st.floats(allow_nan=False) | st.builds(cbor2.CBORTag, st.integers(6, 100), st.integers())
_VALUES = st.recursive(
    _LEAVES | _OTHER,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=4).map(tuple)
        | st.dictionaries(_TEXT, inner, max_size=6)
        | st.dictionaries(st.integers(-30, 30) | st.binary(max_size=3), inner, max_size=3)
    ),
    max_leaves=30,
)


def _reference(value: Any) -> bytes | type[BaseException]:
    try:
        return bytes(cbor2.dumps(value, canonical=True))
    except Exception as exc:
        return type(exc)


def _fast(value: Any) -> bytes | type[BaseException]:
    try:
        return canonical_dumps(value)
    except Exception as exc:
        return type(exc)


@settings(max_examples=600)
@given(st.dictionaries(_TEXT, _VALUES, max_size=10))
def test_canonical_dumps_is_cbor2_canonical_for_maps(value: dict[str, Any]) -> None:
    assert _fast(value) == _reference(value)


@settings(max_examples=300)
@given(_VALUES)
def test_canonical_dumps_is_cbor2_canonical_for_any_value(value: Any) -> None:
    assert _fast(value) == _reference(value)


def test_key_order_is_length_first_then_bytes() -> None:
    value = {"prev": 1, "at": 2, "seq": 3, "data": 4, "kind": 5, "é": 6, "z": 7}
    encoded = canonical_dumps(value)
    assert list(cbor2.loads(encoded)) == ["z", "at", "é", "seq", "data", "kind", "prev"]
    assert encoded == cbor2.dumps(value, canonical=True)


def test_the_order_cache_stays_bounded() -> None:
    for index in range(_cbor._ORDERS_MAX + 10):
        canonical_dumps({f"k{index}": 1})
    assert len(_cbor._ORDERS) <= _cbor._ORDERS_MAX
    wide = {f"key{index}": index for index in range(_cbor._ORDERS_KEYS + 1)}
    canonical_dumps(wide)
    assert tuple(wide) not in _cbor._ORDERS


def _strict_reference(data: bytes) -> dict[str, Any] | None:
    """The old rule: a map with text keys that re-encodes (cbor2 canonical) to itself."""
    try:
        value = cbor2.loads(data, allow_duplicate_keys=False, max_depth=32)
    except Exception:
        return None
    if not isinstance(value, dict) or not all(type(key) is str for key in value):
        return None
    try:
        again = cbor2.dumps(value, canonical=True)
    except Exception:
        return None
    return value if again == data else None


def _strict(data: bytes) -> dict[str, Any] | None:
    try:
        return loads_canonical_map(data, what="test", max_bytes=1 << 20)
    except EnvelopeInvalid:
        return None


@settings(max_examples=400)
@given(st.dictionaries(_TEXT, _VALUES, max_size=6), st.data())
def test_strict_read_accepts_and_refuses_exactly_as_before(
    value: dict[str, Any], data: st.DataObject
) -> None:
    try:
        encoded = cbor2.dumps(value, canonical=data.draw(st.booleans()))
    except Exception:
        return
    # The encoding itself, a byte changed, and trailing bytes.
    candidates = [encoded, encoded + b"\x00"]
    if encoded:
        at = data.draw(st.integers(0, len(encoded) - 1))
        changed = bytearray(encoded)
        changed[at] = data.draw(st.integers(0, 255))
        candidates.append(bytes(changed))
    for candidate in candidates:
        assert _strict(candidate) == _strict_reference(candidate)


@pytest.mark.parametrize(
    "data",
    [
        bytes.fromhex("a2616201616101"),  # keys out of order
        bytes.fromhex("a1616118 01"),  # a longer integer head than needed
        bytes.fromhex("a1616101a0"),  # trailing bytes
        bytes.fromhex("bf616101ff"),  # an indefinite-length map
        bytes.fromhex("a2616101616102"),  # a duplicate key
    ],
)
def test_strict_read_refuses_other_encodings(data: bytes) -> None:
    with pytest.raises(EnvelopeInvalid):
        loads_canonical_map(data, what="test", max_bytes=1 << 20)
