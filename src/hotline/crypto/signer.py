"""The signer interface: whatever holds a terminal's Ed25519 signing key and signs with it.

Everything a terminal signs (envelopes, receipts, checkpoints and
cosignatures, cards, TLS certificates, exports, fingerprint confirmations)
goes through :meth:`Identity.sign <hotline.crypto.identity.Identity.sign>`,
which is the :meth:`Signer.sign` of the identity's signer. Two backends:

- :class:`SoftwareSigner`: the key in memory, signed in libsodium (PyNaCl),
  as every hotline before the interface did; the hot path is unchanged
  (``Identity.sign`` *is* the bound method, so a signature costs no extra call);
- :class:`~hotline.crypto.pkcs11.PKCS11Signer`: the key in a hardware token
  (PKCS#11, ``CKM_EDDSA``), never leaving it.

A signer gives only the public key, signatures and a description for people;
never the private key. The few things that need the private bytes of a
software key (writing the key file, the TLS key's password) ask the identity,
which knows whether it has them.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import nacl.bindings
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

__all__ = ["Signer", "SoftwareSigner"]

_SIGNATURE_BYTES = 64


@runtime_checkable
class Signer(Protocol):
    """An Ed25519 signing key, wherever it lives."""

    @property
    def public_key(self) -> bytes:
        """The raw 32-byte Ed25519 public key."""
        ...

    def sign(self, data: bytes) -> bytes:
        """A 64-byte Ed25519 signature over ``data`` (RFC 8032, deterministic)."""
        ...

    def describe(self) -> str:
        """Where the key lives, for status lines and logs (never secret)."""
        ...


class SoftwareSigner:
    """An Ed25519 key held in this process's memory, signing in libsodium.

    libsodium's Ed25519 is about twice as fast here as OpenSSL's (sign ~23
    against ~40 µs), and a message costs one signature on the line.
    """

    __slots__ = ("_public", "_sodium_secret", "key")

    key: Ed25519PrivateKey

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self.key = key
        self._public = key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        # libsodium's secret key is the seed followed by the public key.
        self._sodium_secret = key.private_bytes_raw() + self._public

    @property
    def public_key(self) -> bytes:
        return self._public

    def sign(self, data: bytes) -> bytes:
        # crypto_sign returns the signature followed by the message.
        return nacl.bindings.crypto_sign(bytes(data), self._sodium_secret)[:_SIGNATURE_BYTES]

    def describe(self) -> str:
        return "software key"

    def __repr__(self) -> str:
        return f"SoftwareSigner(public_key={self._public.hex()[:16]}…)"
