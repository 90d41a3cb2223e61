"""TLS certificates: deterministic content, parsing helpers, and a real mutual TLS 1.3 handshake."""

from __future__ import annotations

import socket
import ssl
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import NameOID

from hotline.crypto import (
    Identity,
    certificate_party,
    certificate_pem,
    certificate_public_key,
    certificate_serial,
    make_tls_certificate,
    private_key_pem,
    verify_self_signed,
)
from hotline.errors import CardInvalid


def test_certificate_is_deterministic(moscow: Identity, washington: Identity) -> None:
    assert make_tls_certificate(moscow) == make_tls_certificate(moscow)
    assert make_tls_certificate(moscow) != make_tls_certificate(washington)
    renamed = Identity(
        party="Kremlin", signing_key=moscow.signing_key, encryption_key=moscow.encryption_key
    )
    assert make_tls_certificate(renamed) != make_tls_certificate(moscow)


def test_certificate_fields(moscow: Identity) -> None:
    der = make_tls_certificate(moscow)
    cert = x509.load_der_x509_certificate(der)
    assert cert.version is x509.Version.v3
    cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    assert [a.value for a in cn] == ["Moscow"]
    assert cert.issuer == cert.subject
    assert cert.serial_number == certificate_serial(moscow.signing_public)
    assert 0 < cert.serial_number < 2**159
    assert cert.not_valid_before_utc == datetime(2000, 1, 1, tzinfo=UTC)
    assert cert.not_valid_after_utc == datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)

    basic = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical
    assert basic.value.ca is True
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.value.digital_signature
    assert usage.value.key_cert_sign
    assert not usage.value.key_encipherment
    ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    assert aki.key_identifier == ski.digest

    assert certificate_public_key(der) == moscow.signing_public
    assert certificate_party(der) == "Moscow"
    verify_self_signed(der)


def test_serial_is_hash_derived(moscow: Identity, washington: Identity) -> None:
    assert certificate_serial(moscow.signing_public) != certificate_serial(
        washington.signing_public
    )
    assert certificate_serial(moscow.signing_public).bit_length() <= 152


@pytest.mark.parametrize("der", [b"", b"not a certificate", b"\x30\x03\x02\x01\x01"])
def test_unparseable_certificate_is_card_invalid(der: bytes) -> None:
    with pytest.raises(CardInvalid, match="parseable"):
        certificate_public_key(der)
    with pytest.raises(CardInvalid):
        verify_self_signed(der)
    with pytest.raises(CardInvalid):
        certificate_pem(der)


def _ec_certificate() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Moscow")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(datetime(2000, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2100, 1, 1, tzinfo=UTC))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.DER)


def test_non_ed25519_certificate_is_card_invalid() -> None:
    der = _ec_certificate()
    with pytest.raises(CardInvalid, match="not an Ed25519"):
        certificate_public_key(der)
    with pytest.raises(CardInvalid, match="not an Ed25519"):
        verify_self_signed(der)


def test_certificate_signed_by_another_key_fails(moscow: Identity, mallory: Identity) -> None:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Moscow")])
    forged = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(moscow.signing_key.public_key())
        .serial_number(1)
        .not_valid_before(datetime(2000, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2100, 1, 1, tzinfo=UTC))
        .sign(mallory.signing_key, None)
        .public_bytes(serialization.Encoding.DER)
    )
    assert certificate_public_key(forged) == moscow.signing_public
    with pytest.raises(CardInvalid, match="self-signed"):
        verify_self_signed(forged)


def test_pem_round_trip(moscow: Identity) -> None:
    der = make_tls_certificate(moscow)
    pem = certificate_pem(der)
    assert pem.startswith("-----BEGIN CERTIFICATE-----\n")
    assert ssl.PEM_cert_to_DER_cert(pem) == der


def test_private_key_pem_round_trip(moscow: Identity) -> None:
    pem = private_key_pem(moscow)
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----\n")
    key = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(key, Ed25519PrivateKey)
    assert key.public_key().public_bytes_raw() == moscow.signing_public


# -- mutual TLS 1.3 with the stdlib ssl module -------------------------------


def _context(side: int, identity: Identity, peer_der: bytes, directory: Path) -> ssl.SSLContext:
    cert_file = directory / f"{identity.party}.crt"
    key_file = directory / f"{identity.party}.key"
    cert_file.write_text(certificate_pem(make_tls_certificate(identity)))
    key_file.write_bytes(private_key_pem(identity))
    context = ssl.SSLContext(side)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.verify_mode = ssl.CERT_REQUIRED
    context.check_hostname = False
    context.verify_flags |= ssl.VERIFY_X509_STRICT
    context.load_cert_chain(cert_file, key_file)
    context.load_verify_locations(cadata=peer_der)
    return context


def _handshake(
    tmp_path: Path,
    server: Identity,
    client: Identity,
    *,
    server_trusts: Identity,
    client_trusts: Identity,
) -> dict[str, object]:
    """Run one TLS session over a socketpair; return what each side saw."""
    server_ctx = _context(
        ssl.PROTOCOL_TLS_SERVER, server, make_tls_certificate(server_trusts), tmp_path
    )
    client_ctx = _context(
        ssl.PROTOCOL_TLS_CLIENT, client, make_tls_certificate(client_trusts), tmp_path
    )
    server_sock, client_sock = socket.socketpair()
    server_sock.settimeout(10)
    client_sock.settimeout(10)
    seen: dict[str, object] = {}

    def serve() -> None:
        try:
            with server_ctx.wrap_socket(server_sock, server_side=True) as tls:
                seen["server_version"] = tls.version()
                seen["server_peer"] = tls.getpeercert(binary_form=True)
                seen["server_got"] = tls.recv(5)
                tls.sendall(b"ack")
        except (ssl.SSLError, OSError) as exc:
            seen["server_error"] = exc

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        with client_ctx.wrap_socket(client_sock) as tls:
            seen["client_version"] = tls.version()
            seen["client_peer"] = tls.getpeercert(binary_form=True)
            tls.sendall(b"hello")
            # In TLS 1.3 the server checks the client certificate after the
            # client's handshake completes; a refusal surfaces on this read.
            seen["client_got"] = tls.recv(3)
    except (ssl.SSLError, OSError) as exc:
        seen["client_error"] = exc
    finally:
        thread.join(10)
        server_sock.close()
        client_sock.close()
    return seen


def test_mutual_tls_13_handshake(tmp_path, moscow: Identity, washington: Identity) -> None:
    seen = _handshake(tmp_path, moscow, washington, server_trusts=washington, client_trusts=moscow)
    assert seen["server_version"] == "TLSv1.3"
    assert seen["client_version"] == "TLSv1.3"
    assert seen["server_peer"] == make_tls_certificate(washington)
    assert seen["client_peer"] == make_tls_certificate(moscow)
    assert seen["server_got"] == b"hello"
    assert seen["client_got"] == b"ack"
    server_peer = seen["server_peer"]
    assert isinstance(server_peer, bytes)
    assert certificate_public_key(server_peer) == washington.signing_public


def test_client_refuses_unpinned_server(
    tmp_path, moscow: Identity, washington: Identity, mallory: Identity
) -> None:
    seen = _handshake(tmp_path, mallory, washington, server_trusts=washington, client_trusts=moscow)
    assert isinstance(seen.get("client_error"), ssl.SSLCertVerificationError)
    assert "server_got" not in seen


def test_server_refuses_unpinned_client(
    tmp_path, moscow: Identity, washington: Identity, mallory: Identity
) -> None:
    seen = _handshake(tmp_path, moscow, mallory, server_trusts=washington, client_trusts=moscow)
    assert isinstance(seen.get("server_error"), ssl.SSLCertVerificationError)
    assert "server_got" not in seen
    assert "client_got" not in seen
