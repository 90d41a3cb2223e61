"""Secrets sealed under a passphrase: Argon2id, then ChaCha20-Poly1305.

A terminal's private keys are kept at rest in this form when its operator gives
a passphrase (``hotline init --passphrase-file``; docs/keys.md). It is the
scheme the console already uses for a person's key (``desks/accounts/users.py``:
Argon2id with RFC 9106's second recommended parameters, a fresh 16-byte salt,
ChaCha20-Poly1305), given a small self-describing, versioned format so that a
sealed file says how to open it and more keys (a master key, rotated
operational keys) fit beside these without a new format::

    offset  size  field
    0       8     magic  b"HLSEALED"
    8       1     format version, 1
    9       1     KDF, 1 = Argon2id (RFC 9106), version 0x13
    10      4     time cost (passes), big-endian
    14      4     memory cost (KiB), big-endian
    18      4     parallelism (lanes), big-endian
    22      16    salt
    38      12    nonce (random)
    50      n+16  ChaCha20-Poly1305 ciphertext and tag of the n-byte secret

The AEAD's associated data is the 50-byte header followed by the label's UTF-8
bytes. The label names whose secret this is and what for (``Washington
signing``): a file moved to another party's directory, or another key's file
name, does not open, and neither does one whose parameters were edited.

Argon2id is deliberately slow (~0.1-0.3 s and 64 MiB here); :class:`SealingKey`
derives once and seals or opens several secrets under one salt, which is what a
terminal does with its keys at ``init`` and at each start.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

from argon2.low_level import ARGON2_VERSION, Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from hotline.errors import CryptoError, WrongPassphrase

__all__ = [
    "KDF_PARAMETERS",
    "SEALED_MAGIC",
    "KdfParameters",
    "SealingKey",
    "Unsealer",
    "is_sealed",
    "open_secret",
    "seal_secret",
]

SEALED_MAGIC = b"HLSEALED"
_VERSION = 1
_KDF_ARGON2ID = 1
_HEADER = struct.Struct(">8sBBIII16s12s")
_SALT_BYTES = 16
_NONCE_BYTES = 12
_TAG_BYTES = 16

# Bounds on what a sealed file may ask of the machine that opens it: a damaged
# or hostile file must not make the terminal allocate terabytes.
_MAX_TIME_COST = 64
_MAX_MEMORY_KIB = 4 * 1024 * 1024  # 4 GiB
_MAX_PARALLELISM = 64


@dataclass(frozen=True, slots=True)
class KdfParameters:
    """Argon2id's cost parameters, stored in every sealed blob beside its salt."""

    time_cost: int = 3
    memory_cost: int = 64 * 1024  # KiB: 64 MiB
    parallelism: int = 4

    def __post_init__(self) -> None:
        if not 1 <= self.time_cost <= _MAX_TIME_COST:
            raise CryptoError(f"Argon2id time cost {self.time_cost} is out of bounds")
        if not 8 * self.parallelism <= self.memory_cost <= _MAX_MEMORY_KIB:
            raise CryptoError(f"Argon2id memory cost {self.memory_cost} KiB is out of bounds")
        if not 1 <= self.parallelism <= _MAX_PARALLELISM:
            raise CryptoError(f"Argon2id parallelism {self.parallelism} is out of bounds")


#: RFC 9106 §4, the second recommended option (t=3, 64 MiB, p=4): argon2-cffi's
#: defaults, the console's person keys use the same.
KDF_PARAMETERS = KdfParameters()


def is_sealed(blob: bytes) -> bool:
    """Whether ``blob`` is in the sealed format (a raw 32-byte key is not)."""
    return blob.startswith(SEALED_MAGIC)


class SealingKey:
    """The key Argon2id derives from a passphrase and one salt; seals and opens secrets.

    Not a dataclass: its ``repr`` must not show the key.
    """

    __slots__ = ("_aead", "parameters", "salt")

    def __init__(
        self,
        passphrase: bytes,
        *,
        salt: bytes | None = None,
        parameters: KdfParameters = KDF_PARAMETERS,
    ) -> None:
        if not passphrase:
            raise CryptoError("the passphrase is empty")
        self.salt = os.urandom(_SALT_BYTES) if salt is None else salt
        if len(self.salt) != _SALT_BYTES:
            raise CryptoError(f"a salt is {_SALT_BYTES} bytes, not {len(self.salt)}")
        self.parameters = parameters
        key = hash_secret_raw(
            bytes(passphrase),
            self.salt,
            time_cost=parameters.time_cost,
            memory_cost=parameters.memory_cost,
            parallelism=parameters.parallelism,
            hash_len=32,
            type=Type.ID,
            version=ARGON2_VERSION,
        )
        self._aead = ChaCha20Poly1305(key)

    def seal(self, secret: bytes, *, label: str) -> bytes:
        """``secret`` sealed in the format above, bound to ``label``."""
        header = _HEADER.pack(
            SEALED_MAGIC,
            _VERSION,
            _KDF_ARGON2ID,
            self.parameters.time_cost,
            self.parameters.memory_cost,
            self.parameters.parallelism,
            self.salt,
            os.urandom(_NONCE_BYTES),
        )
        nonce = header[-_NONCE_BYTES:]
        return header + self._aead.encrypt(nonce, bytes(secret), _aad(header, label))

    def open(self, blob: bytes, *, label: str) -> bytes:
        """The secret in ``blob``; :class:`WrongPassphrase` if it does not open.

        ``blob`` must have been sealed under this key's salt and parameters
        (see :class:`Unsealer` for blobs of several salts).
        """
        header, parameters, salt = _parse_header(blob, label)
        if salt != self.salt or parameters != self.parameters:
            raise CryptoError(f"{label}: sealed under another salt than this key's")
        try:
            return self._aead.decrypt(
                header[-_NONCE_BYTES:], blob[_HEADER.size :], _aad(header, label)
            )
        except InvalidTag as exc:
            raise WrongPassphrase(
                f"the passphrase does not open {label} (a wrong passphrase, or a changed file)"
            ) from exc

    def __repr__(self) -> str:
        return f"SealingKey(salt={self.salt.hex()[:8]}…)"


class Unsealer:
    """Opens sealed blobs under one passphrase, deriving once per distinct salt."""

    __slots__ = ("_keys", "_passphrase")

    def __init__(self, passphrase: bytes) -> None:
        if not passphrase:
            raise CryptoError("the passphrase is empty")
        self._passphrase = bytes(passphrase)
        self._keys: dict[tuple[bytes, KdfParameters], SealingKey] = {}

    def open(self, blob: bytes, *, label: str) -> bytes:
        """The secret in ``blob``; :class:`WrongPassphrase` if the passphrase does not open it."""
        _, parameters, salt = _parse_header(blob, label)
        key = self._keys.get((salt, parameters))
        if key is None:
            key = SealingKey(self._passphrase, salt=salt, parameters=parameters)
            self._keys[(salt, parameters)] = key
        return key.open(blob, label=label)

    def __repr__(self) -> str:
        return "Unsealer(…)"


def seal_secret(secret: bytes, passphrase: bytes, *, label: str) -> bytes:
    """``secret`` sealed under ``passphrase`` with a fresh salt, bound to ``label``."""
    return SealingKey(passphrase).seal(secret, label=label)


def open_secret(blob: bytes, passphrase: bytes, *, label: str) -> bytes:
    """The secret :func:`seal_secret` sealed; :class:`WrongPassphrase` if it does not open.

    Also raised when ``label`` is not the one it was sealed with, or a byte
    changed: the AEAD cannot tell these apart, and neither can anyone else.
    """
    return Unsealer(passphrase).open(blob, label=label)


def _aad(header: bytes, label: str) -> bytes:
    return header + label.encode("utf-8")


def _parse_header(blob: bytes, label: str) -> tuple[bytes, KdfParameters, bytes]:
    if len(blob) < _HEADER.size + _TAG_BYTES or not is_sealed(blob):
        raise CryptoError(f"{label}: not a sealed secret (too short, or no HLSEALED header)")
    magic, version, kdf, time_cost, memory_cost, parallelism, salt, _ = _HEADER.unpack_from(blob)
    del magic
    if version != _VERSION:
        raise CryptoError(f"{label}: sealed-secret format version {version} is not known here")
    if kdf != _KDF_ARGON2ID:
        raise CryptoError(f"{label}: key-derivation function {kdf} is not known here")
    parameters = KdfParameters(
        time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism
    )
    return blob[: _HEADER.size], parameters, salt
