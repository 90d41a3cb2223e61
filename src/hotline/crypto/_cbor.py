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
"""

from __future__ import annotations

from typing import Any

import cbor2

from hotline.errors import EnvelopeInvalid

__all__ = ["canonical_dumps", "loads_canonical_map"]


def canonical_dumps(value: Any) -> bytes:
    """The canonical CBOR encoding of ``value`` (for anything signed or hashed)."""
    return cbor2.dumps(value, canonical=True)


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
