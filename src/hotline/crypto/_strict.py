"""The strict reading shared by hotline's small signed documents.

Key certificates, key revocations and master transitions are each one
canonical CBOR map with a version and exactly its fields: what a verifier
reads must have one form only, so anything else is refused before a
signature is looked at. Each document names itself (``what``) and its error
class (cards raise :class:`~hotline.errors.CardInvalid`, revocations
:class:`~hotline.errors.InvalidArgument`); the checks and their messages are
the same. The caller still checks that its document re-encodes to the same
bytes (canonical form) once built.
"""

from __future__ import annotations

from collections.abc import Set
from typing import Any, TypeVar

import cbor2

from hotline.errors import HotlineError

__all__ = ["exact_fields", "strict_map", "typed_field"]

_T = TypeVar("_T")


def strict_map(
    data: object,
    *,
    what: str,
    max_bytes: int,
    version: int,
    error: type[HotlineError],
) -> dict[Any, Any]:
    """``data`` as a CBOR map of version ``version``, at most ``max_bytes``; else ``error``."""
    if not isinstance(data, bytes) or not data:
        raise error(f"{what}: not bytes")
    if len(data) > max_bytes:
        raise error(f"{what}: {len(data)} bytes, over the {max_bytes}-byte limit")
    try:
        document = cbor2.loads(data)
    except Exception as exc:
        # cbor2 raises several types (CBORDecodeError, ValueError, …) for junk.
        raise error(f"{what}: not CBOR: {exc}") from None
    if not isinstance(document, dict):
        raise error(f"{what}: not a CBOR map")
    if document.get("v") != version or type(document.get("v")) is not int:
        raise error(
            f"{what}: unsupported version {document.get('v')!r}: "
            f"this hotline reads version {version}"
        )
    return document


def exact_fields(
    document: dict[Any, Any], expected: Set[str], *, what: str, error: type[HotlineError]
) -> None:
    """``error`` naming the missing and unexpected fields unless the map has exactly ``expected``."""
    if set(document) != expected:
        missing = sorted(str(name) for name in expected - set(document))
        extra = sorted(str(name) for name in set(document) - expected)
        raise error(f"{what}: fields missing {missing}, unexpected {extra}")


def typed_field(
    document: dict[Any, Any], name: str, kind: type[_T], *, what: str, error: type[HotlineError]
) -> _T:
    """The field ``name``, which must be exactly of ``kind`` (a bool is not an int)."""
    value = document[name]
    if type(value) is not kind:
        raise error(f"{what}: field '{name}' must be {kind.__name__}")
    return value
