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

The certificate is signed through the identity's signer, so a signing key in
a hardware token signs it there (:func:`make_tls_certificate` assembles the
DER around the token's signature). Python's :mod:`ssl` cannot use a key in a
token for the handshake, though: such a terminal serves a *TLS key* of its
own, in software, in a leaf certificate issued by its signing key
(:func:`make_tls_leaf`). Peers still pin the self-signed certificate of the
card, which anchors the chain; :func:`identity_key` finds the identity key
behind either kind (docs/keys.md, "Hardware tokens").

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
from collections.abc import Sequence
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.x509.oid import NameOID

from hotline.crypto.identity import Identity, verify_signature
from hotline.crypto.signer import Signer
from hotline.errors import CardInvalid, SignatureInvalid

__all__ = [
    "NOT_VALID_AFTER",
    "NOT_VALID_BEFORE",
    "certificate_party",
    "certificate_pem",
    "certificate_public_key",
    "certificate_serial",
    "identity_key",
    "make_self_signed_certificate",
    "make_tls_certificate",
    "make_tls_leaf",
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
    return make_self_signed_certificate(identity.party, identity.signer)


def make_self_signed_certificate(party: str, signer: Signer) -> bytes:
    """The self-signed certificate (DER) of ``signer``'s key, named ``party``.

    :func:`make_tls_certificate` for an identity's signing key; for a
    two-tier party, the certificate of its master key (the card's, which
    peers pin as their TLS anchor; docs/keys.md, "The key hierarchy").
    """
    public_key = Ed25519PublicKey.from_public_bytes(signer.public_key)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, party)])
    subject_key_id = x509.SubjectKeyIdentifier.from_public_key(public_key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(certificate_serial(signer.public_key))
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
    return _signed_by(builder, signer)


# AlgorithmIdentifier for Ed25519 (RFC 8410): SEQUENCE { OID 1.3.101.112 }.
_ED25519_ALGORITHM = bytes.fromhex("300506032b6570")


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    octets = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(octets)]) + octets


def _signed_by(builder: x509.CertificateBuilder, signer: Signer) -> bytes:
    """``builder``'s certificate (DER), its signature made by ``signer``.

    ``cryptography`` signs only with a key object it holds, and a token's key
    is not one. For Ed25519 the to-be-signed part does not depend on the
    signing key (its algorithm identifier names Ed25519 and nothing else), so
    it is built with a throwaway key, signed by ``signer``, and wrapped as
    RFC 5280's ``Certificate ::= SEQUENCE { tbsCertificate,
    signatureAlgorithm, signatureValue BIT STRING }``. With a software signer
    the bytes equal what ``builder.sign(key, None)`` gives (Ed25519 is
    deterministic; tests/crypto/test_certificate.py checks it).
    """
    tbs = builder.sign(Ed25519PrivateKey.generate(), None).tbs_certificate_bytes
    signature = signer.sign(tbs)
    bit_string = b"\x03" + _der_length(len(signature) + 1) + b"\x00" + signature
    body = tbs + _ED25519_ALGORITHM + bit_string
    return b"\x30" + _der_length(len(body)) + body


def make_tls_leaf(
    identity: Identity, tls_key: Ed25519PrivateKey, *, issuer: Signer | None = None
) -> bytes:
    """A certificate (DER) for ``tls_key``, issued by ``identity``'s signing key.

    ``issuer``, when given, issues it instead: a two-tier party's master key,
    whose self-signed certificate is the card's (the TLS operational key).

    For a terminal whose signing key is in a token: ``ssl`` handshakes with
    ``tls_key`` (software), and the peer, who pins the card's certificate
    (:func:`make_tls_certificate`) as its only trust anchor, accepts the chain
    leaf → anchor. Not a CA; subject ``"<party> TLS"`` so that it can never be
    taken for the self-signed anchor. The same inputs give the same bytes.
    """
    public_key = tls_key.public_key()
    issuer_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, identity.party)])
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{identity.party} TLS")])
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    signer = identity.signer if issuer is None else issuer
    anchor_key = Ed25519PublicKey.from_public_bytes(signer.public_key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(public_key)
        .serial_number(certificate_serial(raw))
        .not_valid_before(NOT_VALID_BEFORE)
        .not_valid_after(NOT_VALID_AFTER)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
                x509.SubjectKeyIdentifier.from_public_key(anchor_key)
            ),
            critical=False,
        )
    )
    return _signed_by(builder, signer)


def identity_key(der: bytes, anchors: Sequence[bytes]) -> bytes:
    """The identity key (raw Ed25519) a TLS certificate stands for.

    A self-signed certificate (the card's) stands for its own key. A leaf
    (:func:`make_tls_leaf`) stands for the key of the anchor among
    ``anchors`` (the pinned card certificates) that signed it. TLS has
    already checked the chain; this only names which pinned key it ends in.
    Raises :class:`CardInvalid` if it is neither.
    """
    certificate = _load(der)
    _ed25519_key(certificate)
    if certificate.issuer == certificate.subject:
        return certificate_public_key(der)
    for anchor in anchors:
        anchor_certificate = _load(anchor)
        if anchor_certificate.subject != certificate.issuer:
            continue
        key = certificate_public_key(anchor)
        try:
            verify_signature(key, certificate.signature, certificate.tbs_certificate_bytes)
        except SignatureInvalid:
            continue
        return key
    raise CardInvalid("the certificate is neither self-signed nor issued by a pinned peer")


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


def private_key_pem(
    identity: Identity, *, password: bytes | None = None, key: Ed25519PrivateKey | None = None
) -> bytes:
    """``identity``'s signing key (or the TLS ``key``) as PKCS#8 PEM, for ``load_cert_chain``.

    ``key`` is the separate TLS key of a terminal whose signing key is in a
    token (:func:`make_tls_leaf`).

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
    return (key or identity.signing_key).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
