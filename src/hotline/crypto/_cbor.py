"""Canonical CBOR in and out, and the strict reading that signed objects need.

Everything hotline signs or hashes is encoded with ``cbor2.dumps(...,
canonical=True)`` (RFC 7049 §3.9 canonical form: shortest integer and length
heads, map keys sorted shortest-first then bytewise, definite lengths; for
the short text keys used here this is also RFC 8949 §4.2.1 deterministic
encoding). Reading is the mirror image, and stricter than a plain decode:
the bytes must be one canonical CBOR map with text keys, no duplicate keys,
nothing after it, and must re-encode to exactly themselves.

That last rule is what makes ``hash = SHA-256(encoding)`` a function of the
*value*: a second encoding of the same envelope (a longer integer head, an
indefinite-length string, trailing bytes) is refused rather than stored
under a different hash, and every single-byte change to a valid encoding
either changes a decoded value or is refused.

Decoding arbitrary bytes can fail in more ways than ``CBORDecodeError``
(dates out of range in a tag, unhashable keys, exhausted memory on a huge
declared length, deep nesting); all of them become :class:`EnvelopeInvalid`,
the one error a caller of ``decode`` has to handle.

Speed: ``cbor2.dumps(canonical=True)`` costs about four times a plain dump,
because it encodes every key and value into a buffer of its own to sort them.
For the values hotline signs (text-keyed maps of text, bytes, ints, bools,
None, lists and such maps) the only thing canonical mode changes is the key
order, so :func:`canonical_dumps` puts the keys in canonical order itself and
lets cbor2 dump plainly; anything else (floats, tags, other key types) goes to
cbor2's canonical encoder. tests/crypto/test_cbor.py proves the two
byte-identical over generated values. The strict read keeps its rule
(decode, re-encode, compare) and gains the same speed from the re-encode.
"""

from __future__ import annotations

from typing import Any

import cbor2

from hotline.errors import EnvelopeInvalid

__all__ = ["canonical_dumps", "loads_canonical_map"]

# Values whose plain cbor2 encoding is already canonical: cbor2 always writes
# the shortest integer and length heads and definite lengths; what canonical=True
# adds is map-key order (and float shortening, sets, which are not here).
_PLAIN = frozenset({str, bytes, int, bool, type(None)})

# Map-key order per key tuple (in the map's insertion order): maps on the hot
# path are built the same way every time, so the order is computed once. Small
# maps only, and a bounded number of shapes, so the cache cannot grow without end.
_ORDERS: dict[tuple[Any, ...], tuple[str, ...] | None] = {}
_ORDERS_MAX = 4096
_ORDERS_KEYS = 32


def _sorted_keys(keys: tuple[Any, ...]) -> tuple[str, ...] | None:
    """Text keys in canonical order (encoded length, then bytes); None if any is not text."""
    if not all(type(key) is str for key in keys):
        return None
    try:
        # A text key's encoding is a head growing with the UTF-8 length, then
        # the UTF-8 bytes, whose order is the code-point order of str.
        encoded = sorted((len(key.encode("utf-8")), key) for key in keys)
    except UnicodeEncodeError:  # a lone surrogate: cbor2 reports it
        return None
    return tuple(key for _, key in encoded)


def _key_order(keys: tuple[Any, ...]) -> tuple[str, ...] | None:
    try:
        return _ORDERS[keys]
    except KeyError:
        pass
    order = _sorted_keys(keys)
    if len(keys) <= _ORDERS_KEYS:
        if len(_ORDERS) >= _ORDERS_MAX:
            _ORDERS.clear()
        _ORDERS[keys] = order
    return order


class _NotPlain(Exception):
    """A value the fast encoder leaves to cbor2's own canonical encoder."""


def _ordered(value: Any, depth: int) -> Any:
    kind = type(value)
    if kind in _PLAIN:
        return value
    if depth > 32:
        raise _NotPlain
    if kind is dict:
        order = _key_order(tuple(value))
        if order is None:
            raise _NotPlain
        out = {key: value[key] for key in order}
        for key, item in out.items():
            if type(item) not in _PLAIN:
                out[key] = _ordered(item, depth + 1)  # same keys: safe while iterating
        return out
    if kind is list or kind is tuple:
        return [item if type(item) in _PLAIN else _ordered(item, depth + 1) for item in value]
    raise _NotPlain


def canonical_dumps(value: Any) -> bytes:
    """The canonical CBOR encoding of ``value`` (for anything signed or hashed)."""
    try:
        ordered = _ordered(value, 0)
    except _NotPlain:
        return cbor2.dumps(value, canonical=True)
    return cbor2.dumps(ordered)


def loads_canonical_map(data: bytes, *, what: str, max_bytes: int) -> dict[str, Any]:
    """Decode ``data`` as one canonical CBOR map with text keys.

    ``what`` names the object in error messages ("envelope", "receipt").
    Raises :class:`EnvelopeInvalid` for anything else, and never any other
    exception.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise EnvelopeInvalid(f"{what} must be bytes, not {type(data).__name__}")
    data = bytes(data)
    if len(data) > max_bytes:
        raise EnvelopeInvalid(f"{what} is {len(data)} bytes, over the {max_bytes}-byte limit")
    if not data:
        raise EnvelopeInvalid(f"{what} is empty")
    try:
        value = cbor2.loads(data, allow_duplicate_keys=False, max_depth=32)
    except Exception as exc:
        raise EnvelopeInvalid(f"{what} is not valid CBOR: {exc}") from exc
    if not isinstance(value, dict):
        raise EnvelopeInvalid(f"{what} is not a CBOR map")
    if not all(type(key) is str for key in value):
        raise EnvelopeInvalid(f"{what} has a map key that is not text")
    try:
        again = canonical_dumps(value)
    except Exception as exc:
        raise EnvelopeInvalid(f"{what} holds a value hotline cannot re-encode: {exc}") from exc
    if again != data:
        raise EnvelopeInvalid(f"{what} is not in canonical CBOR form (or has trailing bytes)")
    return value
