"""A terminal's private identity: one Ed25519 signing key and one X25519 encryption key.

Every hotline terminal is known to its peers by two public keys. The Ed25519
key signs envelopes, receipts and the terminal's card, and is also the key of
its TLS certificate, so the transport and the messages are bound to the same
identity. The X25519 key receives HPKE-sealed message bodies. Keeping the two
apart means a signature never doubles as a key exchange, and vice versa.

The keys live on disk as two files, ``signing.key`` and ``encryption.key``,
created owner-only (``0600``) with ``O_EXCL``: a terminal's identity is created
once and never silently replaced. Each holds either the key's 32 raw bytes
(``hotline init --unprotected-keys``) or the key sealed under the operator's
passphrase (:mod:`hotline.crypto.sealed`, labelled ``"<party> signing"`` and
``"<party> encryption"``; docs/keys.md). :meth:`Identity.save` and
:meth:`Identity.load` are the only file I/O in :mod:`hotline.crypto`.

The signing key is held by a :class:`~hotline.crypto.signer.Signer`: in
memory (:class:`~hotline.crypto.signer.SoftwareSigner`, from those files), or
in a hardware token (:class:`~hotline.crypto.pkcs11.PKCS11Signer`, and then
there is no ``signing.key`` at all; docs/keys.md). :meth:`Identity.sign` is
the signer's own ``sign``: everything the terminal signs goes through it.

Signing and verification run in libsodium (PyNaCl), key handling and
everything else in ``cryptography``: libsodium's Ed25519 is about twice as
fast here (sign ~23 against ~40 µs, verify ~55 against ~120 µs), and a
message costs one signature and one verification on the line. Ed25519 is
deterministic, so both libraries give the same signature byte for byte; they
accept the same signatures from every real key, and libsodium is stricter in
one place only: it refuses keys of small order (and non-canonical key
encodings), under which OpenSSL accepts signatures anyone can forge
(``docs/protocol/envelope.md``, "Ed25519 in two libraries").

Party names are validated here because every other object that carries one
(cards, certificates, fingerprints) starts from an :class:`Identity` or must
agree with one.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import unicodedata
from collections.abc import Callable
from pathlib import Path

import nacl.bindings
import nacl.exceptions
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from hotline.crypto.sealed import SealingKey, Unsealer, is_sealed
from hotline.crypto.signer import Signer, SoftwareSigner
from hotline.errors import (
    AlreadyInitialised,
    ConfigError,
    CryptoError,
    InvalidArgument,
    NotInitialised,
    PassphraseMissing,
    SignatureInvalid,
)

__all__ = [
    "ENCRYPTION_KEY_FILE",
    "Identity",
    "KEY_BYTES",
    "MAX_PARTY_LENGTH",
    "SIGNATURE_BYTES",
    "SIGNING_KEY_FILE",
    "validate_party",
    "verify_signature",
]

KEY_BYTES = 32
"""Length of every raw key hotline handles: Ed25519 and X25519, public and private."""

SIGNATURE_BYTES = 64
"""Length of an Ed25519 signature."""

MAX_PARTY_LENGTH = 64

SIGNING_KEY_FILE = "signing.key"
ENCRYPTION_KEY_FILE = "encryption.key"

_KEY_ROLES = ((SIGNING_KEY_FILE, "signing"), (ENCRYPTION_KEY_FILE, "encryption"))
_TLS_PASSWORD_DOMAIN = b"hotline tls key.pem password v1"
# With the signing key in a token, the TLS key is a key of its own (docs/keys.md)
# and its PEM's password comes from the encryption key, under another domain.
_TLS_PASSWORD_DOMAIN_TOKEN = b"hotline tls key.pem password v1 token"

_PARTY_PUNCTUATION = frozenset(" -_.")
_ASCII_DIGITS = frozenset("0123456789")


def validate_party(party: str) -> str:
    """Return ``party`` if it is a valid party name, else raise :class:`~hotline.errors.InvalidArgument`.

    A party name is 1-64 characters of letters (any script, so ``Москва`` is
    fine), ASCII digits, space, ``-``, ``_`` and ``.``; it neither starts nor
    ends with a space and is in Unicode NFC form. NFC matters because the
    name's UTF-8 bytes go into signatures and fingerprints: two spellings that
    look the same must not give two different fingerprints.
    """
    if not isinstance(party, str):
        raise InvalidArgument(f"a party name must be text, not {type(party).__name__}")
    if not 1 <= len(party) <= MAX_PARTY_LENGTH:
        raise InvalidArgument(
            f"a party name must be 1 to {MAX_PARTY_LENGTH} characters long, not {len(party)}"
        )
    for char in party:
        if not (char.isalpha() or char in _ASCII_DIGITS or char in _PARTY_PUNCTUATION):
            raise InvalidArgument(
                f"party name {party!r} contains {char!r}: use letters, digits, "
                "spaces, '-', '_' and '.' only"
            )
    if party[0] == " " or party[-1] == " ":
        raise InvalidArgument(f"party name {party!r} must not start or end with a space")
    if not unicodedata.is_normalized("NFC", party):
        raise InvalidArgument(f"party name {party!r} is not in Unicode NFC form")
    return party


def verify_signature(public_key: bytes, signature: bytes, data: bytes) -> None:
    """Check an Ed25519 ``signature`` by raw ``public_key`` over ``data``.

    Raises :class:`SignatureInvalid` if it does not verify, including when the
    key or the signature is not even the right size, and when the key is not a
    point on the curve or is of small order: either way the bytes are not
    signed by the holder of that key.
    """
    if len(public_key) != KEY_BYTES:
        raise SignatureInvalid(f"a signing key is {KEY_BYTES} bytes, not {len(public_key)}")
    if len(signature) != SIGNATURE_BYTES:
        raise SignatureInvalid(f"a signature is {SIGNATURE_BYTES} bytes, not {len(signature)}")
    try:
        # libsodium's verify takes the signature and the message as one string
        # (its "combined" form); the copy is cheap next to the curve arithmetic.
        nacl.bindings.crypto_sign_open(bytes(signature) + bytes(data), bytes(public_key))
    except nacl.exceptions.BadSignatureError as exc:
        raise SignatureInvalid("the signature does not verify under the given key") from exc


def _raw_private(key: Ed25519PrivateKey | X25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )


class Identity:
    """Our private identity: a party name and its two private keys.

    Deliberately not a dataclass: its ``repr`` must never show key material,
    and two identities are compared by what they are (their public keys), not
    by key-object identity.
    """

    __slots__ = (
        "_address",
        "_encryption_public",
        "_signing_public",
        "encryption_key",
        "party",
        "previous_encryption_keys",
        "sign",
        "signer",
    )

    party: str
    signer: Signer
    encryption_key: X25519PrivateKey
    previous_encryption_keys: tuple[X25519PrivateKey, ...]
    """Encryption keys rotated out, newest first: envelopes sealed to them still open.

    A peer may have sealed an envelope (or an epoch secret) to the old key
    before it learnt of the new one; it is kept until the operator deletes
    its file (docs/keys.md §7).
    """
    sign: Callable[[bytes], bytes]
    """A 64-byte Ed25519 signature over ``data`` (deterministic, RFC 8032).

    The signer's own bound ``sign``, so the hot path (one signature per
    envelope and per receipt) costs no call beyond the backend's.
    """

    def __init__(
        self,
        *,
        party: str,
        encryption_key: X25519PrivateKey,
        signing_key: Ed25519PrivateKey | None = None,
        signer: Signer | None = None,
        address: bytes | None = None,
        previous_encryption_keys: tuple[X25519PrivateKey, ...] = (),
    ) -> None:
        if (signing_key is None) == (signer is None):
            raise CryptoError("an identity needs exactly one of a signing key and a signer")
        if signer is None:
            if not isinstance(signing_key, Ed25519PrivateKey):
                raise CryptoError("the signing key must be an Ed25519 private key")
            signer = SoftwareSigner(signing_key)
        elif not isinstance(signer, Signer):
            raise CryptoError("the signer must provide public_key, sign and describe")
        if not isinstance(encryption_key, X25519PrivateKey):
            raise CryptoError("the encryption key must be an X25519 private key")
        if not all(isinstance(key, X25519PrivateKey) for key in previous_encryption_keys):
            raise CryptoError("a previous encryption key must be an X25519 private key")
        self.party = validate_party(party)
        self.previous_encryption_keys = tuple(previous_encryption_keys)
        self.signer = signer
        self.sign = signer.sign
        self.encryption_key = encryption_key
        # Read once: the public keys are read for every envelope and receipt.
        self._signing_public = signer.public_key
        if len(self._signing_public) != KEY_BYTES:
            raise CryptoError(f"the signer's public key is not {KEY_BYTES} bytes")
        # The party's first signing key names it on the wire for good; after a
        # rotation the signer differs from it (docs/keys.md, "Rotation").
        if address is not None and len(address) != KEY_BYTES:
            raise CryptoError(f"an address is a {KEY_BYTES}-byte signing key")
        self._address = self._signing_public if address is None else address
        self._encryption_public = encryption_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @classmethod
    def generate(
        cls,
        party: str,
        *,
        signing_key: Ed25519PrivateKey | None = None,
        encryption_key: X25519PrivateKey | None = None,
    ) -> Identity:
        """A new identity; keys come from the OS CSPRNG unless passed in (for tests)."""
        return cls(
            party=party,
            signing_key=signing_key if signing_key is not None else Ed25519PrivateKey.generate(),
            encryption_key=(
                encryption_key if encryption_key is not None else X25519PrivateKey.generate()
            ),
        )

    @classmethod
    def from_private_bytes(cls, party: str, signing: bytes, encryption: bytes) -> Identity:
        """An identity from 32 raw private-key bytes each (test vectors, loading)."""
        if len(signing) != KEY_BYTES or len(encryption) != KEY_BYTES:
            raise CryptoError(
                f"private keys are {KEY_BYTES} raw bytes each, "
                f"not {len(signing)} and {len(encryption)}"
            )
        return cls(
            party=party,
            signing_key=Ed25519PrivateKey.from_private_bytes(signing),
            encryption_key=X25519PrivateKey.from_private_bytes(encryption),
        )

    @property
    def signing_key(self) -> Ed25519PrivateKey:
        """The private signing key, when it is in memory (a :class:`SoftwareSigner`).

        :class:`CryptoError` when it is in a hardware token: its private
        bytes cannot be read, by design.
        """
        if isinstance(self.signer, SoftwareSigner):
            return self.signer.key
        raise CryptoError(
            f"the signing key of {self.party} is held by a {self.signer.describe()}: "
            "its private bytes cannot be read"
        )

    @property
    def in_software(self) -> bool:
        """Whether the signing key is in memory (else a hardware token holds it)."""
        return isinstance(self.signer, SoftwareSigner)

    @property
    def signing_public(self) -> bytes:
        """This party's address on the wire: its first signing key's 32 raw bytes.

        It names the party in every ``"from"`` and ``"to"``; after a rotation
        of the signing key it is no longer the key that signs
        (:attr:`signer_public`).
        """
        return self._address

    @property
    def signer_public(self) -> bytes:
        """The public key of the current signer: the address until the signing key rotates."""
        return self._signing_public

    @property
    def rotated_signer(self) -> bytes | None:
        """The ``"sk"`` of what this identity signs: the signer's key when not the address, else None."""
        return None if self._signing_public == self._address else self._signing_public

    def use_signer(self, signer: Signer) -> None:
        """Sign with ``signer`` from now on, keeping the address (a rotation of the signing key).

        In place: every part of the running terminal holds this one identity,
        so the next envelope, receipt or checkpoint is signed by the new key.
        """
        public = signer.public_key
        if len(public) != KEY_BYTES:
            raise CryptoError(f"the signer's public key is not {KEY_BYTES} bytes")
        self.signer = signer
        self.sign = signer.sign
        self._signing_public = public

    @property
    def encryption_public(self) -> bytes:
        """The raw 32-byte X25519 public key peers seal bodies to."""
        return self._encryption_public

    @property
    def decryption_keys(self) -> tuple[X25519PrivateKey, ...]:
        """Every encryption key an envelope may be sealed to: the current one first, then older."""
        return (self.encryption_key, *self.previous_encryption_keys)

    def rotate_encryption_key(self, new_key: X25519PrivateKey) -> None:
        """Make ``new_key`` the current encryption key, keeping the old one to open with.

        In place: the running terminal's inbox, outbox and desks share this
        object, and all of them must see the new key at once. The signing
        side is untouched.
        """
        if not isinstance(new_key, X25519PrivateKey):
            raise CryptoError("the encryption key must be an X25519 private key")
        self.previous_encryption_keys = (self.encryption_key, *self.previous_encryption_keys)
        self.encryption_key = new_key
        self._encryption_public = new_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    def tls_key_password(self) -> bytes:
        """The password of ``tls/key.pem`` when the keys are sealed.

        The TLS key *is* the signing key, so its PEM is encrypted (PKCS#8,
        ``BestAvailableEncryption``) under a password derived from the signing
        key itself: 256 bits no one without the unsealed signing key can
        compute, so the PEM's own key derivation, weaker than Argon2id, is
        never the easier way in, and ``ssl`` loads it from the file with the
        password in memory: no plaintext key is ever written.
        """
        if self.in_software:
            key, domain = self.signing_key.private_bytes_raw(), _TLS_PASSWORD_DOMAIN
        else:
            # The signing key's bytes are out of reach in a token; the
            # encryption key is sealed beside the TLS key under the same passphrase.
            key, domain = _raw_private(self.encryption_key), _TLS_PASSWORD_DOMAIN_TOKEN
        return hmac.new(key, domain, hashlib.sha256).hexdigest().encode("ascii")

    def save(self, keys_dir: Path, *, passphrase: bytes | None = None) -> None:
        """Write both private keys under ``keys_dir``, owner-only, never overwriting.

        With ``passphrase`` each key is sealed under it (one Argon2id
        derivation, one salt, a label per key); without, the raw 32 bytes.
        Raises :class:`AlreadyInitialised` if either file already exists; in
        that case nothing is written. A signing key held in a token has no
        file: only ``encryption.key`` is written. Each file is fsynced, then the directory,
        so a crash right after ``init`` does not leave a terminal without keys.
        """
        keys_dir = Path(keys_dir)
        roles = _KEY_ROLES if self.in_software else _KEY_ROLES[1:]
        raw = {ENCRYPTION_KEY_FILE: _raw_private(self.encryption_key)}
        if self.in_software:
            raw[SIGNING_KEY_FILE] = _raw_private(self.signing_key)
        for name, _ in roles:
            path = keys_dir / name
            if path.exists() or path.is_symlink():
                raise AlreadyInitialised(f"{path} already exists; refusing to overwrite a key")
        if passphrase is not None:
            sealing = SealingKey(passphrase)
            raw = {
                name: sealing.seal(raw[name], label=f"{self.party} {role}") for name, role in roles
            }
        try:
            keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"cannot create key directory {keys_dir}: {exc}") from exc
        for name, _ in roles:
            _write_new_file(keys_dir / name, raw[name])
        _fsync_directory(keys_dir)

    @staticmethod
    def keys_sealed(keys_dir: Path) -> bool:
        """Whether the private keys in ``keys_dir`` are sealed under a passphrase.

        Both files are sealed or neither; the encryption key's is read, since
        with the signing key in a token it is the only one.
        :class:`NotInitialised` if there is no key file to look at.
        """
        return is_sealed(_read_key_file(Path(keys_dir) / ENCRYPTION_KEY_FILE, Path(keys_dir)))

    @classmethod
    def load(
        cls,
        party: str,
        keys_dir: Path,
        *,
        passphrase: bytes | None = None,
        signer: Signer | None = None,
    ) -> Identity:
        """Read the keys :meth:`save` wrote, opening them with ``passphrase`` if sealed.

        With ``signer`` (a key in a token) only ``encryption.key`` is read.

        Raises :class:`NotInitialised` if either file is missing,
        :class:`PassphraseMissing` if they are sealed and no passphrase is
        given, :class:`~hotline.errors.WrongPassphrase` if it does not open
        them, and :class:`CryptoError` if a raw key does not hold exactly 32
        bytes. A passphrase given for raw keys is not needed, and not an error.
        """
        keys_dir = Path(keys_dir)
        unsealer = Unsealer(passphrase) if passphrase else None
        raw: list[bytes] = []
        for name, role in _KEY_ROLES if signer is None else _KEY_ROLES[1:]:
            path = keys_dir / name
            data = _read_key_file(path, keys_dir)
            if is_sealed(data):
                if unsealer is None:
                    raise PassphraseMissing(
                        f"{path} is sealed under a passphrase, and none was given"
                    )
                data = unsealer.open(data, label=f"{party} {role}")
            if len(data) != KEY_BYTES:
                raise CryptoError(
                    f"key file {path} holds {len(data)} bytes, not {KEY_BYTES}: it is damaged"
                )
            raw.append(data)
        if signer is not None:
            return cls(
                party=party,
                signer=signer,
                encryption_key=X25519PrivateKey.from_private_bytes(raw[0]),
            )
        return cls.from_private_bytes(party, raw[0], raw[1])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Identity):
            return NotImplemented
        return (
            self.party == other.party
            and self.signing_public == other.signing_public
            and self.encryption_public == other.encryption_public
        )

    def __hash__(self) -> int:
        return hash((self.party, self.signing_public, self.encryption_public))

    def __repr__(self) -> str:
        # Public key prefix only: enough to tell identities apart in a log,
        # and never any private material.
        return f"Identity(party={self.party!r}, signing_public={self.signing_public.hex()[:16]}…)"


def _read_key_file(path: Path, keys_dir: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise NotInitialised(f"no key file {path}: this terminal has no identity") from exc
    except NotADirectoryError as exc:
        raise NotInitialised(f"{keys_dir} is not a key directory") from exc
    except OSError as exc:
        raise CryptoError(f"cannot read key file {path}: {exc}") from exc


def _write_new_file(path: Path, data: bytes) -> None:
    # O_EXCL makes "refuse to overwrite" atomic even if two inits race; the
    # mode is applied at creation, so the key is never world-readable.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError as exc:
        raise AlreadyInitialised(f"{path} already exists; refusing to overwrite a key") from exc
    except OSError as exc:
        raise ConfigError(f"cannot create key file {path}: {exc}") from exc
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        # Some platforms cannot open directories; the files themselves are synced.
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
