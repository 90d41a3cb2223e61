"""Deterministic self-signed TLS certificates made from a party's Ed25519 identity key.

Terminals talk over mutual TLS 1.3 where each side trusts exactly one
certificate: the one in its peer's card. There is no certificate authority;
the certificate exists only because TLS needs one. Its key *is* the party's
Ed25519 signing key, so the peer authenticated by TLS is provably the party
whose signatures the envelopes carry.

The certificate is deterministic (Ed25519 signatures are, and every field is
derived from the key and the party name), so ``make_tls_certificate`` can be
called at every start instead of storing a second artefact that could drift
from the keys, and the certificate embedded in a card can be regenerated and
compared byte for byte.

What works with Python's :mod:`ssl` (OpenSSL 3, TLS 1.3 only, ``CERT_REQUIRED``,
``check_hostname=False``, the peer's DER as the only ``cadata``, also with
``VERIFY_X509_STRICT``): a v3 certificate with ``basicConstraints CA:TRUE``
(critical, so OpenSSL accepts it as its own trust anchor), ``keyUsage
digitalSignature, keyCertSign`` (critical), and matching subject/authority key
identifiers. No extendedKeyUsage: without it OpenSSL allows both the client
and the server role, which each terminal needs.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.x509.oid import NameOID

from hotline.crypto.identity import Identity
from hotline.errors import CardInvalid

__all__ = [
    "NOT_VALID_AFTER",
    "NOT_VALID_BEFORE",
    "certificate_party",
    "certificate_pem",
    "certificate_public_key",
    "certificate_serial",
    "make_tls_certificate",
    "private_key_pem",
    "verify_self_signed",
]

# Fixed validity: the certificate is pinned, not trusted because of its
# dates, and fixed dates keep it deterministic. 9999-12-31 23:59:59 is RFC
# 5280's "no well-defined expiration date".
NOT_VALID_BEFORE = datetime(2000, 1, 1, tzinfo=UTC)
NOT_VALID_AFTER = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)

# RFC 5280 allows at most 20 octets of positive serial; 19 bytes of hash
# always fits (with room for DER's sign octet).
_SERIAL_BYTES = 19


def certificate_serial(signing_public: bytes) -> int:
    """The certificate serial number: the first 19 bytes of SHA-256(public key)."""
    value = int.from_bytes(hashlib.sha256(signing_public).digest()[:_SERIAL_BYTES], "big")
    # A serial must be positive; an all-zero prefix is 2**-152 unlikely.
    return value or 1


def make_tls_certificate(identity: Identity) -> bytes:
    """A self-signed X.509 v3 certificate (DER) for ``identity``'s signing key.

    The same identity always yields the same bytes.
    """
    public_key = identity.signing_key.public_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, identity.party)])
    subject_key_id = x509.SubjectKeyIdentifier.from_public_key(public_key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(certificate_serial(identity.signing_public))
        .not_valid_before(NOT_VALID_BEFORE)
        .not_valid_after(NOT_VALID_AFTER)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(subject_key_id, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(subject_key_id),
            critical=False,
        )
    )
    # Ed25519 takes no separate hash algorithm: algorithm=None.
    certificate = builder.sign(identity.signing_key, None)
    return certificate.public_bytes(serialization.Encoding.DER)


def _load(der: bytes) -> x509.Certificate:
    if not isinstance(der, bytes | bytearray | memoryview):
        raise CardInvalid("the certificate is not bytes")
    try:
        return x509.load_der_x509_certificate(bytes(der))
    except Exception as exc:
        # cryptography raises ValueError for most malformations, but the Rust
        # parser is not documented to raise nothing else; any failure is "not
        # a certificate".
        raise CardInvalid(
            f"the certificate is not a parseable X.509 DER certificate: {exc}"
        ) from exc


def _ed25519_key(certificate: x509.Certificate) -> Ed25519PublicKey:
    try:
        key = certificate.public_key()
    except Exception as exc:
        raise CardInvalid(f"the certificate's public key cannot be read: {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise CardInvalid(
            f"the certificate's key is {type(key).__name__}, not an Ed25519 identity key"
        )
    return key


def certificate_public_key(der: bytes) -> bytes:
    """The raw 32-byte Ed25519 key of a DER certificate.

    Raises :class:`CardInvalid` if the certificate does not parse or its key
    is not Ed25519.
    """
    key = _ed25519_key(_load(der))
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def certificate_party(der: bytes) -> str:
    """The subject common name of a DER certificate (the party name for ours).

    Raises :class:`CardInvalid` if there is not exactly one text common name.
    """
    attributes = _load(der).subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if len(attributes) != 1 or not isinstance(attributes[0].value, str):
        raise CardInvalid("the certificate does not name exactly one party (common name)")
    return attributes[0].value


def verify_self_signed(der: bytes) -> None:
    """Check that a DER certificate is signed by its own Ed25519 key.

    Raises :class:`CardInvalid` otherwise. TLS would refuse such a certificate
    anyway; checking it when a card is read reports the problem at ``peer
    add`` time, not at the first failed connection.
    """
    certificate = _load(der)
    _ed25519_key(certificate)
    try:
        certificate.verify_directly_issued_by(certificate)
    except Exception as exc:
        raise CardInvalid("the certificate is not self-signed by its own key") from exc


def certificate_pem(der: bytes) -> str:
    """The PEM text of a DER certificate, for ``ssl`` APIs that read files."""
    return _load(der).public_bytes(serialization.Encoding.PEM).decode("ascii")


def private_key_pem(identity: Identity, *, password: bytes | None = None) -> bytes:
    """``identity``'s signing key as PKCS#8 PEM, for ``load_cert_chain``.

    Encrypted under ``password`` when one is given (``BestAvailableEncryption``;
    ``ssl`` opens it with ``load_cert_chain(..., password=...)``), else plain.
    The caller must write it to an owner-only file: it is the party's private
    identity key.
    """
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password is not None
        else serialization.NoEncryption()
    )
    return identity.signing_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
