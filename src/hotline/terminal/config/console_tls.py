"""The console's HTTPS certificate: made by ``init``, or the operator's own (docs/operations.md).

The console's certificate has nothing to do with the terminal's identity: the
peer link pins the Ed25519 certificate in each card, while a browser needs a
key type it accepts for a web server (Chromium and Firefox take ECDSA P-256 and
RSA, not Ed25519). So ``init`` makes a separate self-signed ECDSA P-256
certificate, ``DIR/tls/console-cert.pem`` and ``console-key.pem`` (0600), for
``localhost``, the console's host and the loopback addresses, and prints its
SHA-256 fingerprint: an operator compares it with what the browser shows the
first time, or imports the certificate. ``[console] tls_cert``/``tls_key`` name
another pair (an organisation's CA, an ACME client's files) instead.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from hotline.errors import ConfigError
from hotline.link import parse_route
from hotline.terminal.config.paths import TerminalPaths
from hotline.terminal.config.settings import Settings

__all__ = [
    "CONSOLE_CERTIFICATE_DAYS",
    "ConsoleTLS",
    "certificate_fingerprint",
    "console_certificate_path",
    "console_tls",
    "make_console_certificate",
]

#: A self-signed certificate is pinned by its fingerprint, not trusted for its dates;
#: ten years keeps it from expiring under a terminal that is rarely touched.
CONSOLE_CERTIFICATE_DAYS = 3650


@dataclass(frozen=True, slots=True)
class ConsoleTLS:
    """The certificate and key files the console serves HTTPS with, and the fingerprint."""

    certificate: Path
    key: Path
    fingerprint: str


def console_certificate_path(paths: TerminalPaths) -> tuple[Path, Path]:
    """Where ``init`` puts the console's certificate and key."""
    return paths.tls / "console-cert.pem", paths.tls / "console-key.pem"


def make_console_certificate(paths: TerminalPaths, address: str | None, *, now: datetime) -> str:
    """Make the console's self-signed ECDSA P-256 certificate; its SHA-256 fingerprint."""
    cert_path, key_path = console_certificate_path(paths)
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName("localhost")]
    addresses = {ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")}
    if address:
        host, _ = parse_route(address)
        try:
            addresses.add(ipaddress.ip_address(host))
        except ValueError:
            if host != "localhost":
                names.append(x509.DNSName(host))
    names.extend(x509.IPAddress(a) for a in sorted(addresses, key=str))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hotline console")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))  # a browser's clock a little behind
        .not_valid_after(now + timedelta(days=CONSOLE_CERTIFICATE_DAYS))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    paths.tls.mkdir(mode=0o700, exist_ok=True)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    cert_pem = certificate.public_bytes(serialization.Encoding.PEM)
    for path, data in ((key_path, key_pem), (cert_path, cert_pem)):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    return certificate_fingerprint(cert_pem)


def certificate_fingerprint(pem: bytes) -> str:
    """SHA-256 of the certificate's DER, as browsers show it: ``AB:CD:…``."""
    try:
        der = x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)
    except ValueError as exc:
        raise ConfigError(f"not a PEM certificate: {exc}") from exc
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


def console_tls(paths: TerminalPaths, settings: Settings) -> ConsoleTLS | None:
    """The files to serve the console's HTTPS with; None for plain HTTP.

    ``[console] tls = false``: plain HTTP. ``tls_cert``/``tls_key``: those files,
    which must exist. Otherwise the certificate ``init`` made; with ``tls = true``
    it must exist, and with the key absent (a directory older than the setting)
    HTTPS is served if it does, plain HTTP if not.
    """
    if settings.console_tls is False:
        return None
    if settings.console_tls_cert and settings.console_tls_key:
        cert, key = (
            paths.root / settings.console_tls_cert,
            paths.root / settings.console_tls_key,
        )
    else:
        cert, key = console_certificate_path(paths)
        if settings.console_tls is None and not cert.exists():
            return None
    for path in (cert, key):
        if not path.is_file():
            raise ConfigError(
                f"[console] tls: {path} does not exist (set tls_cert and tls_key, or "
                "tls = false for plain HTTP behind a proxy)"
            )
    return ConsoleTLS(cert, key, certificate_fingerprint(cert.read_bytes()))
