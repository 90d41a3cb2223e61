"""Rotating a running terminal's TLS key, crash-safely (docs/keys.md, "Rotation").

A rotation replaces two files (``tls/key.pem`` and ``tls/cert.pem``) and adds
a certificate to ``keys/certificates.cbor``; no file system renames several
files at once. So the new files are first written, complete and fsynced, to
``tls/.rotation/`` with the new key certificate, then a ``ready`` marker is
written: from then on the rotation *has happened*. The files are moved into
place and the directory removed. :func:`finish_rotation`, run whenever the
terminal's files are opened, completes a rotation that has its marker (a
crash after it). One without it (a crash before it) is left alone: the old
key stays current, as if the rotation had not been asked for, and the next
rotation clears it. Never discarding is what makes it safe for a command
(``hotline card``) to open the files while the running terminal rotates.

The peers need nothing: they pin the party's master key, whose self-signed
certificate is the trust anchor every TLS leaf chains to, so a new leaf is
accepted at the next handshake; the line does not drop (sessions open under
the old key run on).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from datetime import datetime

from hotline.crypto import Identity, KeyCertificate
from hotline.errors import CardInvalid, CryptoError
from hotline.terminal.config.paths import TerminalPaths, private_dir, sync_directory, write_private
from hotline.terminal.config.tiers import (
    KeyTiers,
    new_tls_key,
    read_certificates,
    save_certificates,
)

__all__ = ["ROTATION_DIR", "finish_rotation", "rotate_tls"]

ROTATION_DIR = ".rotation"
_KEY, _CERT, _CERTIFICATE, _READY = "key.pem", "cert.pem", "certificate.cbor", "ready"


def rotate_tls(
    paths: TerminalPaths, identity: Identity, tiers: KeyTiers, *, sealed: bool, now: datetime
) -> tuple[KeyTiers, KeyCertificate]:
    """A new TLS key, certified by the master (the next serial), put in place crash-safely.

    Returns the tiers with the new certificate, and the certificate. The key
    is encrypted as the old one was (``sealed``: under the passphrase-derived
    TLS password). Single-tier terminals have no master to certify it:
    the caller refuses them.
    """
    issued = new_tls_key(identity, tiers, sealed=sealed, now=now)
    staging = paths.tls / ROTATION_DIR
    shutil.rmtree(staging, ignore_errors=True)
    private_dir(staging)
    write_private(staging / _KEY, issued.key_pem)
    write_private(staging / _CERT, issued.certificate_pem)
    write_private(staging / _CERTIFICATE, issued.certificate.encode())
    write_private(staging / _READY, b"")
    sync_directory(staging)
    finish_rotation(paths)
    certificates = (*tiers.certificates, issued.certificate)
    return KeyTiers(master=tiers.master, certificates=certificates), issued.certificate


def finish_rotation(paths: TerminalPaths) -> None:
    """Complete a TLS rotation that reached its marker; leave one that did not.

    Idempotent, and safe to run by two processes at once: each step checks
    what is already done, so a crash inside this function is finished by the
    next call, and a file the other process moved first is no error.
    """
    staging = paths.tls / ROTATION_DIR
    if not (staging / _READY).exists():
        return
    try:
        certificate = KeyCertificate.decode((staging / _CERTIFICATE).read_bytes())
    except (OSError, CardInvalid) as exc:
        raise CryptoError(f"{staging}: an interrupted TLS rotation is damaged: {exc}") from exc
    held = read_certificates(paths)
    if certificate not in held:
        save_certificates(paths.keys, (*held, certificate))
        # Durable before the staging directory goes: it is the only other copy.
        sync_directory(paths.keys)
    # The key first: a crash between the two moves leaves the new key with the
    # old certificate for at most until this runs again, at the next start.
    for name, target in ((_KEY, paths.tls_key), (_CERT, paths.certificate)):
        with contextlib.suppress(FileNotFoundError):
            os.replace(staging / name, target)
    sync_directory(paths.tls)
    shutil.rmtree(staging, ignore_errors=True)
