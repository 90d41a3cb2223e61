"""The export bundle: one self-contained, versioned JSON document (docs/protocol/record.md, "Bundle").

A bundle holds what a third party needs to check part of one terminal's
record with nothing else: the parties' cards, the exporter's checkpoint with
its own signature and its peers' cosignatures, the selected log entries each
with an RFC 9162 inclusion proof against that checkpoint, the signed objects
the entries bind by hash (envelopes, plaintext bodies, receipts), the
checkpoints of peers' logs the exporter cosigned, and any conflict evidence.

The file is the document serialised as RFC 8785 (JCS: sorted keys, no
insignificant whitespace; the document holds no numbers but small integers)
followed by one newline, and nothing else: :meth:`Bundle.decode` refuses any
other spelling of the same document, so every byte of a file is significant.
The exporter signs the document (everything but ``"signature"``) with its
party key, which binds what no other signature covers (when and by what
selection it was exported, which entries it holds).

This module only encodes and decodes, strictly; :mod:`.audit` verifies.
"""

from __future__ import annotations

import binascii
import contextlib
import gc
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from hotline.errors import BundleInvalid
from hotline.utc import parse_utc

__all__ = [
    "BUNDLE_DOMAIN",
    "BUNDLE_FORMAT",
    "BUNDLE_VERSION",
    "KIND_ACK_GIVEN",
    "KIND_ACK_RECEIVED",
    "KIND_QUEUED",
    "KIND_RECEIPT",
    "KIND_RECEIVED",
    "LINKED_KINDS",
    "Bundle",
    "BundleConflict",
    "BundleEntry",
    "Selection",
    "jcs",
]

BUNDLE_FORMAT = "hotline-record-bundle"
BUNDLE_VERSION = 1
BUNDLE_DOMAIN = b"hotline-record-bundle-v1\x00"
"""Prefix of the bytes the exporter signs: the domain, then JCS of the unsigned document."""

#: The journal kinds through which entries bind a message's signed objects by hash
#: (docs/protocol/record.md, "Bundle"): what an export completes and an audit accounts.
KIND_QUEUED = "message queued"
KIND_RECEIVED = "message received"
KIND_RECEIPT = "receipt received"
KIND_ACK_GIVEN = "message acknowledged"
KIND_ACK_RECEIVED = "acknowledgement received"
LINKED_KINDS = frozenset(
    {KIND_QUEUED, KIND_RECEIVED, KIND_RECEIPT, KIND_ACK_GIVEN, KIND_ACK_RECEIVED}
)

#: Sizes the decoder bounds (a bundle is read by an auditor from anyone).
_MAX_INDEX = 2**63 - 1
_SIGNATURE_BYTES = 64
_HASH_HEX = re.compile(r"[0-9a-f]{64}")
_MESSAGE_ID = re.compile(r"[0-9a-f]{32}")

_TOP_KEYS = frozenset(
    {
        "format",
        "version",
        "exported_by",
        "exported_at",
        "selection",
        "cards",
        "log",
        "objects",
        "witnessed",
        "conflicts",
        "signature",
    }
)
_SELECTION_KEYS = frozenset({"peer", "since", "until", "ids"})
_LOG_KEYS = frozenset({"origin", "checkpoint", "entries"})
_ENTRY_KEYS = frozenset({"index", "leaf", "proof"})
_OBJECT_KEYS = frozenset({"envelopes", "bodies", "receipts"})
_CONFLICT_KEYS = frozenset(
    {"log", "peer", "kind", "detected_at", "known", "offered", "proof", "detail"}
)


def jcs(value: Any) -> bytes:
    """RFC 8785 serialisation of a JSON value made of objects, arrays, strings, ints, null.

    Python's ``json`` with sorted keys, no spaces and raw (not ``\\u``-escaped)
    non-ASCII text writes exactly JCS for such values: the same short escapes,
    lowercase ``\\u00xx`` for other control characters, and (for the ASCII
    keys a bundle has) the same key order.
    """
    try:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return text.encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError) as exc:
        raise BundleInvalid(f"the bundle cannot be serialised: {exc}") from exc


def _b64(raw: bytes) -> str:
    # binascii directly: a large bundle holds millions of proof hashes.
    return binascii.b2a_base64(raw, newline=False).decode("ascii")


@dataclass(frozen=True, slots=True, kw_only=True)
class Selection:
    """What the exporter asked for: a peer, a period of entry times, message ids (all optional)."""

    peer: str | None = None
    since: str | None = None
    until: str | None = None
    ids: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"peer": self.peer, "since": self.since, "until": self.until, "ids": list(self.ids)}


@dataclass(frozen=True, slots=True)
class BundleEntry:
    """One log entry: its leaf index, its leaf data, and its inclusion proof (leaf upwards)."""

    index: int
    leaf: bytes
    proof: tuple[bytes, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class BundleConflict:
    """Evidence of a fork or rollback the exporter kept: both signed notes ("" if none)."""

    log: str
    peer: str
    kind: str
    detected_at: str
    known: str
    offered: str
    proof: tuple[bytes, ...]
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {
            "log": self.log,
            "peer": self.peer,
            "kind": self.kind,
            "detected_at": self.detected_at,
            "known": self.known,
            "offered": self.offered,
            "proof": [_b64(p) for p in self.proof],
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Bundle:
    """A decoded bundle. :meth:`decode` checks its form only; :func:`.audit.audit_bundle` the rest."""

    exported_by: str
    exported_at: str
    selection: Selection
    #: Card JSON texts, as ``hotline card`` prints them: the exporter's and its peers'.
    cards: tuple[str, ...]
    origin: str
    #: The exporter's signed checkpoint note, with its peers' cosignature lines.
    checkpoint: str
    entries: tuple[BundleEntry, ...]
    #: Encoded envelopes by the lowercase hex SHA-256 of their bytes.
    envelopes: Mapping[str, bytes]
    #: Plaintext bodies (canonical CBOR, as sealed) by message id.
    bodies: Mapping[str, bytes]
    #: Encoded receipts by message id.
    receipts: Mapping[str, bytes]
    #: For each message whose receipt covers a batch (receipt version 2): the
    #: inclusion path of its envelope hash under the receipt's root.
    proofs: Mapping[str, tuple[bytes, ...]] = field(default_factory=dict)
    #: Peers' checkpoint notes the exporter cosigned (its cosignature among the lines).
    witnessed: tuple[str, ...]
    conflicts: tuple[BundleConflict, ...]
    #: The exporter's Ed25519 signature over :meth:`signed_bytes`.
    signature: bytes
    #: JCS of the unsigned document, computed once: a large bundle takes seconds to
    #: serialise, and decoding (the canonical check) and auditing (the signature) both need it.
    _unsigned: bytes | None = field(default=None, init=False, repr=False, compare=False)

    def unsigned_document(self) -> dict[str, Any]:
        """The document without ``"signature"``: what the exporter signs."""
        return {
            "format": BUNDLE_FORMAT,
            "version": BUNDLE_VERSION,
            "exported_by": self.exported_by,
            "exported_at": self.exported_at,
            "selection": self.selection.to_json(),
            "cards": list(self.cards),
            "log": {
                "origin": self.origin,
                "checkpoint": self.checkpoint,
                "entries": [
                    {"index": e.index, "leaf": _b64(e.leaf), "proof": [_b64(p) for p in e.proof]}
                    for e in self.entries
                ],
            },
            "objects": {
                "envelopes": {key: _b64(value) for key, value in self.envelopes.items()},
                "bodies": {key: _b64(value) for key, value in self.bodies.items()},
                "receipts": {key: _b64(value) for key, value in self.receipts.items()},
                **(
                    {"proofs": {key: [_b64(h) for h in path] for key, path in self.proofs.items()}}
                    if self.proofs
                    else {}
                ),
            },
            "witnessed": list(self.witnessed),
            "conflicts": [c.to_json() for c in self.conflicts],
        }

    def _unsigned_jcs(self) -> bytes:
        if self._unsigned is None:
            object.__setattr__(self, "_unsigned", jcs(self.unsigned_document()))
        assert self._unsigned is not None
        return self._unsigned

    def signed_bytes(self) -> bytes:
        """``BUNDLE_DOMAIN || JCS(document without "signature")``."""
        return BUNDLE_DOMAIN + self._unsigned_jcs()

    def encode(self) -> bytes:
        """The file: JCS of the whole document and a newline."""
        unsigned = self._unsigned_jcs()
        # "signature" sorts between "selection" and "version" (then "witnessed"):
        # JCS of the whole document is the unsigned one with the member put there.
        # A raw quote occurs only around keys and strings (inside a string it is
        # escaped), so this top-level sequence occurs once.
        at = unsigned.rfind(b',"version":%d,"witnessed":[' % BUNDLE_VERSION)
        if at < 0:  # pragma: no cover - the key order is fixed by unsigned_document
            raise AssertionError("the unsigned document has no version before its witnesses")
        member = b',"signature":"' + _b64(self.signature).encode("ascii") + b'"'
        return unsigned[:at] + member + unsigned[at:] + b"\n"

    @classmethod
    def decode(cls, data: bytes) -> Bundle:
        """Parse a bundle file strictly; :class:`BundleInvalid` naming the first problem."""
        with _without_cycle_collection():
            return cls._decode(data)

    @classmethod
    def _decode(cls, data: bytes) -> Bundle:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BundleInvalid(f"the bundle is not UTF-8 (byte {exc.start})") from None
        try:
            document = json.loads(
                text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant
            )
        except json.JSONDecodeError as exc:
            raise BundleInvalid(f"the bundle is not JSON: {exc}") from None
        except RecursionError:
            raise BundleInvalid("the bundle nests too deeply to be one") from None
        _keys(document, "the bundle", _TOP_KEYS, required=frozenset({"format", "version"}))
        if document["format"] != BUNDLE_FORMAT:
            raise BundleInvalid(f"format {document['format']!r} is not {BUNDLE_FORMAT!r}")
        if type(document["version"]) is not int or document["version"] != BUNDLE_VERSION:
            raise BundleInvalid(
                f"bundle version {document['version']!r} is not supported (this reads {BUNDLE_VERSION})"
            )
        _keys(document, "the bundle", _TOP_KEYS)
        bundle = cls(
            exported_by=_text(document["exported_by"], "exported_by"),
            exported_at=_utc(document["exported_at"], "exported_at"),
            selection=_selection(document["selection"]),
            cards=tuple(_text(c, "a card") for c in _list(document["cards"], "cards")),
            **_log(document["log"]),
            **_objects(document["objects"]),
            witnessed=tuple(
                _text(w, "a witnessed note") for w in _list(document["witnessed"], "witnessed")
            ),
            conflicts=tuple(
                _conflict(c, n) for n, c in enumerate(_list(document["conflicts"], "conflicts"))
            ),
            signature=_bytes(document["signature"], "signature"),
        )
        if len(bundle.signature) != _SIGNATURE_BYTES:
            raise BundleInvalid(f"the signature is {len(bundle.signature)} bytes, not 64")
        if bundle.encode() != data:
            # Same document, other spelling (spaces, escapes, key order, no final
            # newline): refused, so no byte of a bundle is without meaning.
            raise BundleInvalid("the bundle is not in its canonical form (RFC 8785 and a newline)")
        return bundle


@contextlib.contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Pause the cyclic garbage collector while a bundle is decoded.

    A bundle of 100,000 entries decodes to millions of lists, tuples and
    strings, none in a cycle; the collector would walk them again and again as
    they pile up (a third of the decoding time, measured in bench/audit.py).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise BundleInvalid(f"key {key!r} appears twice in one object")
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise BundleInvalid(f"{name} is not a JSON value")


def _keys(
    value: Any, what: str, expected: frozenset[str], *, required: frozenset[str] | None = None
) -> None:
    if not isinstance(value, dict):
        raise BundleInvalid(f"{what} is not a JSON object")
    for key in sorted(expected if required is None else required):
        if key not in value:
            raise BundleInvalid(f"{what} is missing {key!r}")
    if required is None:
        for key in sorted(value):
            if key not in expected:
                raise BundleInvalid(f"{what} has the unknown key {key!r}")


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise BundleInvalid(f"{what} is not a string")
    return value


def _optional_text(value: Any, what: str) -> str | None:
    return None if value is None else _text(value, what)


def _utc(value: Any, what: str) -> str:
    text = _text(value, what)
    try:
        parse_utc(text)
    except ValueError as exc:
        raise BundleInvalid(f"{what}: {exc}") from None
    return text


def _list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise BundleInvalid(f"{what} is not a JSON array")
    return value


def _int(value: Any, what: str) -> int:
    if type(value) is not int or not 0 <= value <= _MAX_INDEX:
        raise BundleInvalid(f"{what} is not an integer from 0 to 2^63-1")
    return value


def _bytes(value: Any, what: str) -> bytes:
    """Standard base64 with padding (the alphabet checked here).

    Non-canonical padding bits are refused too, by the check that the whole
    file is the canonical encoding of what it decodes to (:meth:`Bundle.decode`).
    """
    text = _text(value, what)
    try:
        return binascii.a2b_base64(text, strict_mode=True)
    except (binascii.Error, ValueError):
        raise BundleInvalid(f"{what} is not valid base64") from None


def _proof(value: Any, what: str) -> tuple[bytes, ...]:
    """A list of base64 hashes: :func:`_bytes` for each, in one loop (there are millions)."""
    try:
        return tuple(binascii.a2b_base64(p, strict_mode=True) for p in _list(value, what))
    except (binascii.Error, ValueError, TypeError):
        # Find the element to name, with the ordinary check.
        for p in value:
            _bytes(p, what)
        raise BundleInvalid(f"{what} is not a list of base64 strings") from None


def _selection(value: Any) -> Selection:
    _keys(value, "selection", _SELECTION_KEYS)
    since, until = value["since"], value["until"]
    return Selection(
        peer=_optional_text(value["peer"], "selection peer"),
        since=None if since is None else _utc(since, "selection since"),
        until=None if until is None else _utc(until, "selection until"),
        ids=tuple(_message_id(i, "a selected id") for i in _list(value["ids"], "selection ids")),
    )


def _message_id(value: Any, what: str) -> str:
    text = _text(value, what)
    if not _MESSAGE_ID.fullmatch(text):
        raise BundleInvalid(f"{what} {text!r} is not a message id (32 lowercase hex digits)")
    return text


def _log(value: Any) -> dict[str, Any]:
    _keys(value, "log", _LOG_KEYS)
    entries = []
    for n, entry in enumerate(_list(value["entries"], "log entries")):
        _keys(entry, f"log entry {n}", _ENTRY_KEYS)
        entries.append(
            BundleEntry(
                index=_int(entry["index"], f"log entry {n} index"),
                leaf=_bytes(entry["leaf"], f"log entry {n} leaf"),
                proof=_proof(entry["proof"], f"log entry {n} proof"),
            )
        )
    return {
        "origin": _text(value["origin"], "log origin"),
        "checkpoint": _text(value["checkpoint"], "log checkpoint"),
        "entries": tuple(entries),
    }


def _objects(value: Any) -> dict[str, Any]:
    # "proofs" appears only when some receipt covers a batch (protocol v2).
    _keys(value, "objects", _OBJECT_KEYS | {"proofs"}, required=_OBJECT_KEYS)
    for key in sorted(value):
        if key not in _OBJECT_KEYS | {"proofs"}:
            raise BundleInvalid(f"objects has the unknown key {key!r}")
    envelopes: dict[str, bytes] = {}
    for key, raw in _object(value["envelopes"], "envelopes").items():
        if not _HASH_HEX.fullmatch(key):
            raise BundleInvalid(f"envelope key {key!r} is not a SHA-256 in lowercase hex")
        envelopes[key] = _bytes(raw, f"envelope {key}")
    bodies = {
        _message_id(key, "a body's key"): _bytes(raw, f"body of {key}")
        for key, raw in _object(value["bodies"], "bodies").items()
    }
    receipts = {
        _message_id(key, "a receipt's key"): _bytes(raw, f"receipt of {key}")
        for key, raw in _object(value["receipts"], "receipts").items()
    }
    proofs = {
        _message_id(key, "a proof's key"): tuple(
            _bytes(h, f"proof of {key}") for h in _list(path, f"proof of {key}")
        )
        for key, path in _object(value.get("proofs", {}), "proofs").items()
    }
    for key, path in proofs.items():
        if key not in receipts:
            raise BundleInvalid(f"a proof for {key}, whose receipt the bundle does not hold")
        if len(path) > 64 or any(len(h) != 32 for h in path):
            raise BundleInvalid(f"the proof of {key} is not a list of SHA-256 hashes")
    return {"envelopes": envelopes, "bodies": bodies, "receipts": receipts, "proofs": proofs}


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BundleInvalid(f"{what} is not a JSON object")
    return value


def _conflict(value: Any, n: int) -> BundleConflict:
    what = f"conflict {n}"
    _keys(value, what, _CONFLICT_KEYS)
    return BundleConflict(
        log=_text(value["log"], f"{what} log"),
        peer=_text(value["peer"], f"{what} peer"),
        kind=_text(value["kind"], f"{what} kind"),
        detected_at=_utc(value["detected_at"], f"{what} detected_at"),
        known=_text(value["known"], f"{what} known"),
        offered=_text(value["offered"], f"{what} offered"),
        proof=_proof(value["proof"], f"{what} proof"),
        detail=_text(value["detail"], f"{what} detail"),
    )
