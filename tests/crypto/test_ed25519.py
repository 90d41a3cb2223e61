"""Ed25519 in libsodium (what hotline signs and verifies with) against OpenSSL's.

Both must give the same signature (Ed25519 is deterministic) and accept and
refuse the same signatures from real keys. The one documented difference:
libsodium refuses small-order and non-canonical public keys, under which
OpenSSL accepts signatures anyone can make.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from hypothesis import given
from hypothesis import strategies as st

from hotline.crypto import Identity, verify_signature
from hotline.errors import SignatureInvalid

L = 2**252 + 27742317777372353535851937790883648493  # the group order
BASE_POINT = bytes.fromhex("5866666666666666666666666666666666666666666666666666666666666666")
IDENTITY_POINT = (1).to_bytes(32, "little")  # small order (1)


def openssl_accepts(key: bytes, signature: bytes, data: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(key).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True


def hotline_accepts(key: bytes, signature: bytes, data: bytes) -> bool:
    try:
        verify_signature(key, signature, data)
    except SignatureInvalid:
        return False
    return True


@given(st.binary(min_size=32, max_size=32), st.binary(max_size=300), st.integers(0, 63))
def test_same_signatures_same_verdicts(seed: bytes, data: bytes, flip: int) -> None:
    identity = Identity.from_private_bytes("Moscow", seed, bytes(32))
    signature = identity.sign(data)
    assert signature == Ed25519PrivateKey.from_private_bytes(seed).sign(data)
    key = identity.signing_public
    assert openssl_accepts(key, signature, data)
    assert hotline_accepts(key, signature, data)
    altered = bytearray(signature)
    altered[flip] ^= 0x01
    assert not openssl_accepts(key, bytes(altered), data)
    assert not hotline_accepts(key, bytes(altered), data)
    assert not hotline_accepts(key, signature, data + b"x")


def test_non_canonical_s_is_refused_by_both() -> None:
    identity = Identity.from_private_bytes("Moscow", bytes(32), bytes(32))
    signature = identity.sign(b"hello")
    s = int.from_bytes(signature[32:], "little")
    malleated = signature[:32] + (s + L).to_bytes(32, "little")
    assert not openssl_accepts(identity.signing_public, malleated, b"hello")
    assert not hotline_accepts(identity.signing_public, malleated, b"hello")


def test_small_order_keys_are_refused_where_openssl_accepts_forgeries() -> None:
    # Under the identity point, R = [S]B satisfies [S]B = R + [k]A for any message.
    forgeries = [IDENTITY_POINT + bytes(32), BASE_POINT + (1).to_bytes(32, "little")]
    for forged in forgeries:
        assert openssl_accepts(IDENTITY_POINT, forged, b"anything at all")
        assert not hotline_accepts(IDENTITY_POINT, forged, b"anything at all")
    # A non-canonical encoding of the same point (y = p + 1): the same story.
    non_canonical = (2**255 - 19 + 1).to_bytes(32, "little")
    assert openssl_accepts(non_canonical, forgeries[0], b"x")
    assert not hotline_accepts(non_canonical, forgeries[0], b"x")


def test_wrong_sizes_are_refused() -> None:
    identity = Identity.from_private_bytes("Moscow", bytes(32), bytes(32))
    signature = identity.sign(b"x")
    assert not hotline_accepts(identity.signing_public[:31], signature, b"x")
    assert not hotline_accepts(identity.signing_public, signature[:63], b"x")
