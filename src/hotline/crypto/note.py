"""C2SP signed notes, tlog checkpoints and cosignature/v1 (Ed25519), to the byte.

Specifications: c2sp.org/signed-note, c2sp.org/tlog-checkpoint and
c2sp.org/tlog-cosignature; golang.org/x/mod/sumdb/note is the reference
parser. The formats, as implemented (``docs/protocol/record-formats.md``)::

    note       = text "\\n" 1*100signature-line
    text       = UTF-8, ends with "\\n", no control character but "\\n"
    signature-line = "— " key-name " " base64(key-id(4) || signature) "\\n"
    key-id     = SHA-256(key-name || "\\n" || type || public-key)[:4]
                 type 0x01 Ed25519 over the text; 0x04 cosignature/v1
    checkpoint = origin "\\n" decimal-size "\\n" base64(root(32)) "\\n" *(extension "\\n")
    cosignature/v1 signature = u64-be timestamp || Ed25519 over
                 "cosignature/v1\\ntime " decimal-timestamp "\\n" || checkpoint text

Decoding is strict where the reference is lenient only in ways that would let
the same note be written two ways: base64 must be canonical (padding bits
zero), so a bundle with any byte flipped no longer decodes to the same note.
Duplicate signature lines are kept as they came (the spec allows them), so
``decode(data).encode() == data`` for every note that decodes.

Domain separation from hotline's own signatures: every other message hotline
signs with the same Ed25519 key starts with a ``b"hotline-<what>-v1\\x00"``
tag. A note text may not contain a NUL (nor any control character but the
newline), and a cosigned message starts ``cosignature/v1\\n``, so no note
signature can ever be replayed as an envelope, receipt or card signature, nor
the other way round.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from hotline.crypto.identity import KEY_BYTES, SIGNATURE_BYTES, verify_signature
from hotline.errors import NoteInvalid, SignatureInvalid

__all__ = [
    "COSIGNATURE_V1_TYPE",
    "ED25519_SIGNATURE_TYPE",
    "KEY_ID_BYTES",
    "MAX_COSIGNATURE_TIMESTAMP",
    "MAX_NOTE_SIGNATURES",
    "Checkpoint",
    "NoteSignature",
    "SignedNote",
    "cosign",
    "cosignature_message",
    "note_key_id",
    "parse_verifier_key",
    "sign_note",
    "validate_key_name",
    "verifier_key",
    "verify_cosignature",
    "verify_note",
]

ED25519_SIGNATURE_TYPE = 0x01
COSIGNATURE_V1_TYPE = 0x04
KEY_ID_BYTES = 4
MAX_NOTE_SIGNATURES = 100
"""The most signature lines a note may carry (golang.org/x/mod's limit; the spec asks for >= 16)."""
MAX_COSIGNATURE_TIMESTAMP = 2**63 - 1
"""tlog-cosignature: the timestamp MUST NOT exceed 2^63 - 1."""

_SIGNATURE_PREFIX = "— "  # U+2014 EM DASH, U+0020 SPACE
_COSIGNATURE_HEADER = b"cosignature/v1\n"
_TIMESTAMP_BYTES = 8
_COSIGNATURE_BYTES = _TIMESTAMP_BYTES + SIGNATURE_BYTES
_MAX_TREE_SIZE = 2**64 - 1  # a uint64, as every reference implementation reads it
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_HEX_KEY_ID = re.compile(r"[0-9a-f]{8}")
# Signature types whose public key this module understands (both Ed25519).
_KEY_TYPES = {ED25519_SIGNATURE_TYPE: KEY_BYTES, COSIGNATURE_V1_TYPE: KEY_BYTES}


def _is_space(char: str) -> bool:
    # Go's unicode.IsSpace, which golang.org/x/mod uses for "Unicode spaces".
    return char.isspace() or unicodedata.category(char) in ("Zs", "Zl", "Zp")


def _check_text(text: str, what: str) -> bytes:
    """``text`` as UTF-8, refusing control characters other than newline."""
    for char in text:
        if char < " " and char != "\n":
            raise NoteInvalid(f"{what} contains the control character {ord(char):#04x}")
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate
        raise NoteInvalid(f"{what} is not valid UTF-8") from exc


def validate_key_name(name: str) -> str:
    """Return ``name`` if it may name a note key: non-empty, no spaces, no ``+``; else NoteInvalid."""
    if not name:
        raise NoteInvalid("a key name must not be empty")
    if "+" in name or any(_is_space(c) for c in name):
        raise NoteInvalid(f"key name {name!r} contains a space or '+'")
    _check_text(name, "key name")
    return name


def _b64decode(text: str, what: str) -> bytes:
    """Strict standard base64: the alphabet, padding, and canonical (zero) padding bits."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise NoteInvalid(f"{what} is not valid base64") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise NoteInvalid(f"{what} is not canonical base64")
    return raw


def _b64encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def note_key_id(name: str, public_key: bytes, signature_type: int) -> bytes:
    """The 4-byte key ID: ``SHA-256(name || "\\n" || type || public key)[:4]``."""
    validate_key_name(name)
    if not 0 <= signature_type <= 0xFF:
        raise ValueError(f"a signature type is one byte, not {signature_type}")
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([signature_type]) + public_key)
    return digest.digest()[:KEY_ID_BYTES]


def verifier_key(name: str, public_key: bytes, signature_type: int = ED25519_SIGNATURE_TYPE) -> str:
    """The vkey ``name+hex(key ID)+base64(type || public key)``."""
    key_id = note_key_id(name, public_key, signature_type)
    return f"{name}+{key_id.hex()}+{_b64encode(bytes([signature_type]) + public_key)}"


def parse_verifier_key(vkey: str) -> tuple[str, int, bytes]:
    """``(name, signature type, public key)`` of a vkey; NoteInvalid if malformed.

    Only the Ed25519 types (0x01, 0x04) are understood; the key ID must be the
    one the name, type and key give.
    """
    parts = vkey.split("+", 2)  # the base64 key may itself contain "+"
    if len(parts) != 3:
        raise NoteInvalid("a verifier key is name+keyid+key")
    name, key_id_hex, encoded = parts
    validate_key_name(name)
    if not _HEX_KEY_ID.fullmatch(key_id_hex):
        raise NoteInvalid("a verifier key ID is 8 lowercase hex digits")
    raw = _b64decode(encoded, "verifier key")
    if not raw:
        raise NoteInvalid("a verifier key holds no key")
    signature_type, public_key = raw[0], raw[1:]
    if signature_type not in _KEY_TYPES:
        raise NoteInvalid(f"unsupported signature type {signature_type:#04x}")
    if len(public_key) != _KEY_TYPES[signature_type]:
        raise NoteInvalid(f"an Ed25519 verifier key is {KEY_BYTES} bytes, not {len(public_key)}")
    if note_key_id(name, public_key, signature_type).hex() != key_id_hex:
        raise NoteInvalid(f"verifier key ID {key_id_hex} does not match its name and key")
    return name, signature_type, public_key


@dataclass(frozen=True, slots=True)
class NoteSignature:
    """One signature line: key name, 4-byte key ID, and the signature bytes after the ID.

    ``signature`` is 64 bytes for Ed25519 (type 0x01), 8 + 64 for
    cosignature/v1 (0x04), and opaque for other types a note may carry.
    """

    name: str
    key_id: bytes
    signature: bytes

    def __post_init__(self) -> None:
        validate_key_name(self.name)
        if len(self.key_id) != KEY_ID_BYTES:
            raise NoteInvalid(f"a key ID is {KEY_ID_BYTES} bytes, not {len(self.key_id)}")
        if not self.signature:
            raise NoteInvalid("a note signature must not be empty")

    def line(self) -> str:
        """``"— name base64(key_id || signature)\\n"``."""
        return f"{_SIGNATURE_PREFIX}{self.name} {_b64encode(self.key_id + self.signature)}\n"

    @classmethod
    def from_line(cls, line: str) -> NoteSignature:
        """Parse one signature line, with or without its final newline; NoteInvalid if malformed."""
        line = line.removesuffix("\n")
        if not line.startswith(_SIGNATURE_PREFIX):
            raise NoteInvalid("a signature line starts with an em dash and a space")
        name, _, encoded = line[len(_SIGNATURE_PREFIX) :].partition(" ")
        validate_key_name(name)
        raw = _b64decode(encoded, f"signature by {name}")
        if len(raw) <= KEY_ID_BYTES:
            raise NoteInvalid(f"signature by {name} is too short")
        return cls(name, raw[:KEY_ID_BYTES], raw[KEY_ID_BYTES:])


@dataclass(frozen=True, slots=True)
class SignedNote:
    """A note text and its signatures, in order (duplicates kept as they came)."""

    text: str
    signatures: tuple[NoteSignature, ...] = ()

    def __post_init__(self) -> None:
        if not self.text.endswith("\n"):
            raise NoteInvalid("a note text must end with a newline")
        _check_text(self.text, "note text")
        object.__setattr__(self, "signatures", tuple(self.signatures))
        if len(self.signatures) > MAX_NOTE_SIGNATURES:
            raise NoteInvalid(f"a note carries at most {MAX_NOTE_SIGNATURES} signatures")

    def encode(self) -> bytes:
        """Text, a blank line, then one line per signature. NoteInvalid with no signature."""
        if not self.signatures:
            raise NoteInvalid("a signed note needs at least one signature")
        lines = "".join(signature.line() for signature in self.signatures)
        return (self.text + "\n" + lines).encode("utf-8")

    @classmethod
    def decode(cls, data: bytes) -> SignedNote:
        """Parse a signed note exactly as the spec writes it; NoteInvalid if it is not one.

        Signatures are not checked here (:func:`verify_note`,
        :func:`verify_cosignature` do); unknown keys are kept, as the spec asks
        verifiers to ignore, not refuse, them.
        """
        try:
            message = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NoteInvalid("a note is not valid UTF-8") from exc
        _check_text(message, "note")
        # The text runs to the last blank line: it may contain blank lines itself.
        split = message.rfind("\n\n")
        if split < 0:
            raise NoteInvalid("a note has no blank line before its signatures")
        text, block = message[: split + 1], message[split + 2 :]
        if not block or not block.endswith("\n"):
            raise NoteInvalid("a note ends with newline-terminated signature lines")
        lines = block[:-1].split("\n")
        if len(lines) > MAX_NOTE_SIGNATURES:
            raise NoteInvalid(f"a note carries at most {MAX_NOTE_SIGNATURES} signatures")
        return cls(text, tuple(NoteSignature.from_line(line) for line in lines))

    def with_signatures(self, *more: NoteSignature) -> SignedNote:
        """This note with ``more`` appended; each replaces an earlier one by the same key.

        As golang.org/x/mod's ``note.Sign``: a new signature by a key (same
        name and key ID) drops the note's older ones by that key.
        """
        latest: dict[tuple[str, bytes], NoteSignature] = {}
        for signature in more:
            latest.pop((signature.name, signature.key_id), None)
            latest[(signature.name, signature.key_id)] = signature
        kept = tuple(s for s in self.signatures if (s.name, s.key_id) not in latest)
        return SignedNote(self.text, kept + tuple(latest.values()))

    def signatures_by(self, name: str, key_id: bytes) -> tuple[NoteSignature, ...]:
        """The signatures whose key name and key ID are these."""
        return tuple(s for s in self.signatures if s.name == name and s.key_id == key_id)


def _sign_checked(
    message: bytes, public_key: bytes, sign: Callable[[bytes], bytes], what: str
) -> bytes:
    signature = sign(message)
    try:
        verify_signature(public_key, signature, message)
    except SignatureInvalid as exc:
        # A signer that is not the key the ID names would publish evidence no
        # one can verify: a bug in the caller, so not a HotlineError.
        raise ValueError(f"{what}: sign() does not produce signatures by public_key") from exc
    return signature


def sign_note(
    text: str, *, name: str, public_key: bytes, sign: Callable[[bytes], bytes]
) -> NoteSignature:
    """An Ed25519 (type 0x01) signature of ``text`` by ``sign``, the key ``public_key``.

    ``text`` must end with a newline and hold no control character but the
    newline (NoteInvalid). ``sign`` signs raw bytes (``Identity.sign``).
    """
    if not text.endswith("\n"):
        raise NoteInvalid("a note text must end with a newline")
    message = _check_text(text, "note text")
    key_id = note_key_id(name, public_key, ED25519_SIGNATURE_TYPE)
    return NoteSignature(name, key_id, _sign_checked(message, public_key, sign, "sign_note"))


def verify_note(note: SignedNote, *, name: str, public_key: bytes) -> None:
    """Check the note's Ed25519 signature(s) by the key ``name`` / ``public_key``.

    NoteInvalid if no signature line has that name and key ID; SignatureInvalid
    if one that has does not verify (every such line is checked, so a note
    with a good and a forged line under one key is refused).
    """
    key_id = note_key_id(name, public_key, ED25519_SIGNATURE_TYPE)
    found = note.signatures_by(name, key_id)
    if not found:
        raise NoteInvalid(f"the note has no signature by {name}+{key_id.hex()}")
    message = note.text.encode("utf-8")
    for signature in found:
        try:
            verify_signature(public_key, signature.signature, message)
        except SignatureInvalid as exc:
            raise SignatureInvalid(f"signature by {name}+{key_id.hex()} does not verify") from exc


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A tlog-checkpoint note text: origin, tree size, root hash, extension lines."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise NoteInvalid("a checkpoint origin is one non-empty line")
        _check_text(self.origin, "checkpoint origin")
        if type(self.size) is not int or not 0 <= self.size <= _MAX_TREE_SIZE:
            raise NoteInvalid(f"a checkpoint tree size is a uint64, not {self.size!r}")
        if len(self.root) != 32:
            raise NoteInvalid(f"a checkpoint root hash is 32 bytes, not {len(self.root)}")
        object.__setattr__(self, "extensions", tuple(self.extensions))
        for line in self.extensions:
            if not line or "\n" in line:
                raise NoteInvalid("a checkpoint extension is one non-empty line")
            _check_text(line, "checkpoint extension")

    def body(self) -> str:
        """The note text: ``origin\\nsize\\nbase64(root)\\n`` then each extension line."""
        lines = [self.origin, str(self.size), _b64encode(self.root), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse a checkpoint note text strictly; NoteInvalid if it is not one.

        Decimal size without leading zeros, a canonical base64 32-byte root, no
        empty line anywhere, a final newline.
        """
        if not text.endswith("\n"):
            raise NoteInvalid("a checkpoint ends with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise NoteInvalid("a checkpoint has an origin, a size and a root hash line")
        origin, size, root, *extensions = lines
        # The length bound keeps int() inside Python's digit limit for hostile input.
        if len(size) > 20 or not _DECIMAL.fullmatch(size):
            raise NoteInvalid("a checkpoint size is a decimal without leading zeros")
        return cls(origin, int(size), _b64decode(root, "checkpoint root hash"), tuple(extensions))


def _check_timestamp(timestamp: int) -> None:
    if type(timestamp) is not int or not 0 <= timestamp <= MAX_COSIGNATURE_TIMESTAMP:
        raise ValueError(f"a cosignature timestamp is 0..2^63-1, not {timestamp!r}")


def cosignature_message(checkpoint_body: str, timestamp: int) -> bytes:
    """The bytes a cosignature/v1 signs: ``cosignature/v1\\ntime <t>\\n`` and the body."""
    _check_timestamp(timestamp)
    body = _check_text(checkpoint_body, "checkpoint")
    return _COSIGNATURE_HEADER + b"time %d\n" % timestamp + body


def cosign(
    checkpoint_body: str,
    *,
    name: str,
    public_key: bytes,
    sign: Callable[[bytes], bytes],
    timestamp: int,
) -> NoteSignature:
    """A cosignature/v1 of a checkpoint by the key ``name`` / ``public_key`` at ``timestamp``.

    ``timestamp`` is POSIX seconds, passed in (this module reads no clock). The
    body must parse as a checkpoint (NoteInvalid). The signature bytes are the
    timestamp as a big-endian u64 followed by the Ed25519 signature.
    """
    Checkpoint.parse(checkpoint_body)
    message = cosignature_message(checkpoint_body, timestamp)
    key_id = note_key_id(name, public_key, COSIGNATURE_V1_TYPE)
    signature = _sign_checked(message, public_key, sign, "cosign")
    return NoteSignature(name, key_id, timestamp.to_bytes(_TIMESTAMP_BYTES, "big") + signature)


def verify_cosignature(
    checkpoint_body: str, signature: NoteSignature, *, name: str, public_key: bytes
) -> int:
    """Check a cosignature/v1 of the checkpoint; return its timestamp (POSIX seconds).

    NoteInvalid if the line is not a cosignature/v1 by that key (name, key ID
    with type 0x04, 72 bytes, timestamp at most 2^63-1) or the body is not a
    checkpoint; SignatureInvalid if the Ed25519 signature does not verify.
    """
    key_id = note_key_id(name, public_key, COSIGNATURE_V1_TYPE)
    if signature.name != name or signature.key_id != key_id:
        raise NoteInvalid(
            f"signature {signature.name}+{signature.key_id.hex()} is not a "
            f"cosignature/v1 by {name}+{key_id.hex()}"
        )
    if len(signature.signature) != _COSIGNATURE_BYTES:
        raise NoteInvalid(
            f"a cosignature/v1 is {_COSIGNATURE_BYTES} bytes, not {len(signature.signature)}"
        )
    Checkpoint.parse(checkpoint_body)
    timestamp = int.from_bytes(signature.signature[:_TIMESTAMP_BYTES], "big")
    if timestamp > MAX_COSIGNATURE_TIMESTAMP:
        raise NoteInvalid(f"cosignature timestamp {timestamp} exceeds 2^63-1")
    message = cosignature_message(checkpoint_body, timestamp)
    try:
        verify_signature(public_key, signature.signature[_TIMESTAMP_BYTES:], message)
    except SignatureInvalid as exc:
        raise SignatureInvalid(f"cosignature by {name}+{key_id.hex()} does not verify") from exc
    return timestamp
