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

The **signing key** rotates in two steps, because the peers must learn the
new key (from a key event the old key signs) before anything the new key
signs reaches them. :func:`stage_signing` makes the key and its certificate:
the certificate joins ``keys/certificates.cbor`` at once (it is announced
next), the key waits, sealed like the old one, in ``keys/.rotation/``.
:func:`switch_signing`, once every peer has receipted the key event, puts it
in place the same crash-safe way as the TLS files: the new ``signing.key``,
``tls/key.pem`` encrypted under the password the new key gives (the password
is derived from the signing key), and a copy of the old key kept as
``keys/signing-<serial>.key``, then the ``ready`` marker. A staged key
without the marker (a stop before the switch) is picked up again at the next
start (:func:`read_staged_signing`): the keys desk re-announces it if its key
event never went out, and switches once every peer has receipted it. Until
then the old key goes on signing, and stays certified.

A signing key held in a PKCS#11 token rotates the same way
(:func:`stage_token_signing`): the new key is generated in the same token
under a label of its own (``"<party> signing <serial> <time>"``), and what is
staged, switched and kept is a *reference* to it, ``signing.token`` (JSON:
module, token label, key label, public key), in place of the key file. After
the switch ``keys/signing.token`` names the key in use (it overrides
``[keys] key_label``), and the old key stays in the token, named by
``keys/signing-<serial>.token``.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import shutil
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hotline.crypto import (
    KEY_BYTES,
    SIGNING_KEY_FILE,
    Identity,
    KeyCertificate,
    PKCS11Signer,
    SealingKey,
    Signer,
    SoftwareSigner,
    TokenKey,
    Unsealer,
    generate_token_key,
    is_sealed,
    open_token_key,
    private_key_pem,
)
from hotline.errors import CardInvalid, CryptoError, PassphraseMissing, WrongPassphrase
from hotline.terminal.config.paths import TerminalPaths, private_dir, sync_directory, write_private
from hotline.terminal.config.tiers import (
    KeyTiers,
    new_tls_key,
    read_certificates,
    save_certificates,
)
from hotline.terminal.config.token import (
    SIGNING_TOKEN_FILE,
    read_token_file,
    write_token_file,
)

__all__ = [
    "ROTATION_DIR",
    "StagedSigning",
    "finish_rotation",
    "keep_staged_certificate",
    "read_staged_signing",
    "retired_signing_key",
    "signing_keys_in_token",
    "rotate_tls",
    "stage_signing",
    "stage_token_signing",
    "staged_signing_certificate",
    "switch_signing",
]

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
    _finish_signing(paths)
    staging = paths.tls / ROTATION_DIR
    if keep_staged_certificate(paths, staging, what="TLS rotation") is None:
        return
    # The key first: a crash between the two moves leaves the new key with the
    # old certificate for at most until this runs again, at the next start.
    for name, target in ((_KEY, paths.tls_key), (_CERT, paths.certificate)):
        with contextlib.suppress(FileNotFoundError):
            os.replace(staging / name, target)
    sync_directory(paths.tls)
    shutil.rmtree(staging, ignore_errors=True)


def keep_staged_certificate(
    paths: TerminalPaths, staging: pathlib.Path, *, what: str
) -> KeyCertificate | None:
    """The certificate of a rotation staged in ``staging`` that reached its ``ready``
    marker, kept in ``keys/certificates.cbor`` (durably) if it is not yet; None
    without the marker (the rotation did not happen: the caller leaves it).

    :class:`~hotline.errors.CryptoError` if the staged certificate is damaged.
    """
    if not (staging / _READY).exists():
        return None
    try:
        certificate = KeyCertificate.decode((staging / _CERTIFICATE).read_bytes())
    except (OSError, CardInvalid) as exc:
        raise CryptoError(f"{staging}: an interrupted {what} is damaged: {exc}") from exc
    held = read_certificates(paths)
    if certificate not in held:
        save_certificates(paths.keys, (*held, certificate))
        # Durable before the staging directory goes: it is the only other copy.
        sync_directory(paths.keys)
    return certificate


def retired_signing_key(serial: int) -> str:
    """The file name a superseded signing key is kept under in ``keys/``."""
    return f"signing-{serial}.key"


def stage_signing(
    paths: TerminalPaths,
    identity: Identity,
    tiers: KeyTiers,
    *,
    sealer: SealingKey | None,
    now: datetime,
) -> tuple[KeyTiers, KeyCertificate, SoftwareSigner]:
    """A new signing key, certified by the master (the next serial), staged until the switch.

    The key is written to ``keys/.rotation/signing.key``, sealed by ``sealer``
    (the key derived from the passphrase at the start; label ``"<party> signing"``,
    as the old one) or raw; its
    certificate is saved to ``keys/certificates.cbor``. Returns the tiers with
    it, the certificate and the key's signer, for :func:`switch_signing`.
    """
    key = Ed25519PrivateKey.generate()
    signer = SoftwareSigner(key)
    certificate = tiers.certify(
        party=identity.party,
        kind="signing",
        public_key=signer.public_key,
        now=now,
        key_signer=signer,
    )
    raw = key.private_bytes_raw()
    blob = raw if sealer is None else sealer.seal(raw, label=f"{identity.party} signing")
    staging = paths.keys / ROTATION_DIR
    shutil.rmtree(staging, ignore_errors=True)
    private_dir(staging)
    write_private(staging / SIGNING_KEY_FILE, blob)
    write_private(staging / _CERTIFICATE, certificate.encode())
    sync_directory(staging)
    certificates = (*tiers.certificates, certificate)
    save_certificates(paths.keys, certificates)
    sync_directory(paths.keys)
    return KeyTiers(master=tiers.master, certificates=certificates), certificate, signer


def stage_token_signing(
    paths: TerminalPaths, identity: Identity, tiers: KeyTiers, *, now: datetime
) -> tuple[KeyTiers, KeyCertificate, PKCS11Signer]:
    """:func:`stage_signing` for a signing key held in a PKCS#11 token.

    The new key is generated in the token of the key in use, never leaving
    it; no PIN is asked: the key in use keeps the token logged in. What is
    staged is ``keys/.rotation/signing.token``, the reference to it.
    """
    old = identity.signer
    if not isinstance(old, PKCS11Signer):
        raise CryptoError("the signing key in use is not in a PKCS#11 token")
    serial = 1 + max((c.serial for c in tiers.certificates if c.kind == "signing"), default=0)
    # A label of its own: a staging a stop interrupted may have left its key in the token.
    where = TokenKey(
        module=old.where.module,
        token_label=old.where.token_label,
        key_label=f"{identity.party} signing {serial} {now.strftime('%Y%m%dT%H%M%SZ')}",
    )
    signer = generate_token_key(where, None)
    try:
        certificate = tiers.certify(
            party=identity.party,
            kind="signing",
            public_key=signer.public_key,
            now=now,
            key_signer=signer,
        )
        staging = paths.keys / ROTATION_DIR
        shutil.rmtree(staging, ignore_errors=True)
        private_dir(staging)
        write_token_file(staging / SIGNING_TOKEN_FILE, where, public_key=signer.public_key)
        write_private(staging / _CERTIFICATE, certificate.encode())
        sync_directory(staging)
    except BaseException:
        signer.close()
        raise
    certificates = (*tiers.certificates, certificate)
    save_certificates(paths.keys, certificates)
    sync_directory(paths.keys)
    return KeyTiers(master=tiers.master, certificates=certificates), certificate, signer


def switch_signing(
    paths: TerminalPaths, identity: Identity, signer: Signer, *, sealed: bool
) -> None:
    """Put the staged signing key in place and have ``identity`` sign with it.

    ``tls/key.pem``'s password is derived from the signing key, so when the
    keys are sealed the TLS key is encrypted again under the new one's. The
    old key file is kept as ``keys/signing-<serial>.key``.
    """
    staging = paths.keys / ROTATION_DIR
    if identity.in_software and sealed and isinstance(signer, SoftwareSigner):
        successor = Identity(
            party=identity.party, signing_key=signer.key, encryption_key=identity.encryption_key
        )
        tls_key = serialization.load_pem_private_key(
            paths.tls_key.read_bytes(), password=identity.tls_key_password()
        )
        if not isinstance(tls_key, Ed25519PrivateKey):  # pragma: no cover - hotline writes Ed25519
            raise CryptoError(f"{paths.tls_key} is not an Ed25519 key")
        write_private(
            staging / _KEY,
            private_key_pem(identity, password=successor.tls_key_password(), key=tls_key),
        )
    serial = next(
        (
            item.serial
            for item in read_certificates(paths)
            if item.kind == "signing" and item.public_key == identity.signer_public
        ),
        0,
    )
    old = identity.signer
    if isinstance(old, PKCS11Signer):
        # The old key stays in the token, for the record: its reference is kept.
        retired = retired_signing_key(serial).removesuffix(".key") + ".token"
        write_token_file(staging / retired, old.where, public_key=old.public_key)
    else:
        write_private(
            staging / retired_signing_key(serial), (paths.keys / SIGNING_KEY_FILE).read_bytes()
        )
    write_private(staging / _READY, b"")
    sync_directory(staging)
    _finish_signing(paths)
    identity.use_signer(signer)


def _finish_signing(paths: TerminalPaths) -> None:
    """Complete a signing-key switch that reached its marker (idempotent, like the TLS one)."""
    staging = paths.keys / ROTATION_DIR
    if not (staging / _READY).exists():
        return
    # The old key's copy first: until signing.key is replaced it is a spare.
    for retired in (*staging.glob("signing-*.key"), *staging.glob("signing-*.token")):
        with contextlib.suppress(FileNotFoundError):
            os.replace(retired, paths.keys / retired.name)
    for name, target in (
        (_KEY, paths.tls_key),
        (SIGNING_KEY_FILE, paths.keys / SIGNING_KEY_FILE),
        (SIGNING_TOKEN_FILE, paths.keys / SIGNING_TOKEN_FILE),
    ):
        with contextlib.suppress(FileNotFoundError):
            os.replace(staging / name, target)
    sync_directory(paths.keys)
    sync_directory(paths.tls)
    shutil.rmtree(staging, ignore_errors=True)


@dataclass(frozen=True, slots=True)
class StagedSigning:
    """A signing key staged before a stop, not yet switched to: its certificate and signer."""

    certificate: KeyCertificate
    signer: Signer


def staged_signing_certificate(paths: TerminalPaths) -> KeyCertificate | None:
    """The certificate of the signing key staged in ``keys/.rotation/`` and not switched to.

    Public data (no passphrase: ``hotline key list`` shows the key ``staged``).
    None when nothing is staged, when the switch reached its marker (it has
    happened), or when the staging did not complete (a stop while it was
    written: the key was never certified nor announced, and the next rotation
    clears it).
    """
    staging = paths.keys / ROTATION_DIR
    staged = (staging / SIGNING_KEY_FILE).exists() or (staging / SIGNING_TOKEN_FILE).exists()
    if (staging / _READY).exists() or not staged:
        return None
    try:
        certificate = KeyCertificate.decode((staging / _CERTIFICATE).read_bytes())
    except (OSError, CardInvalid):
        # Written after the key and before anything else: a stop in between.
        return None
    return certificate if certificate.kind == "signing" else None


def read_staged_signing(
    paths: TerminalPaths, party: str, *, passphrase: bytes | None
) -> StagedSigning | None:
    """The signing key a stop left staged, opened, its certificate kept; None if there is none.

    Each step of :func:`stage_signing` may have been the last: the key and its
    certificate written to ``keys/.rotation/`` (complete and fsynced before
    anything else), then the certificate added to ``keys/certificates.cbor``,
    then (by the keys desk) the rotation journaled with its key events. A
    staging that did not complete is None (:func:`staged_signing_certificate`);
    a complete one whose certificate did not reach ``certificates.cbor`` is
    added there now, if the master that issued the others issued it as the next
    signing serial. Whether its key events went out is the keys desk's question.

    :class:`~hotline.errors.CryptoError` if the staged key is damaged or is not
    the certificate's; a sealed key is opened with ``passphrase``
    (:class:`~hotline.errors.PassphraseMissing` without one; None if it does
    not open: it was sealed before a change of passphrase, and is left unused).
    """
    certificate = staged_signing_certificate(paths)
    if certificate is None:
        return None
    path = paths.keys / ROTATION_DIR / SIGNING_KEY_FILE
    signer: Signer
    if not path.exists():
        path = path.with_name(SIGNING_TOKEN_FILE)
        # In the token the terminal's signing key in use has logged in already.
        signer = _open_staged_token(path)
    else:
        blob = path.read_bytes()
        if is_sealed(blob):
            if passphrase is None:
                raise PassphraseMissing(f"{path} is sealed under a passphrase, and none was given")
            try:
                blob = Unsealer(passphrase).open(blob, label=f"{party} signing")
            except WrongPassphrase:
                # Sealed before a change of passphrase (which reseals only the keys in
                # place): the key cannot be used; the old one signs on, as ever.
                return None
        if len(blob) != KEY_BYTES:
            raise CryptoError(f"the staged signing key {path} is damaged")
        signer = SoftwareSigner(Ed25519PrivateKey.from_private_bytes(blob))
    if signer.public_key != certificate.public_key or certificate.party != party:
        raise CryptoError(f"the staged signing key {path} is not the one its certificate names")
    held = read_certificates(paths)
    if certificate not in held:
        serial = 1 + max((c.serial for c in held if c.kind == "signing"), default=0)
        if not held or held[0].master_key != certificate.master_key or certificate.serial != serial:
            # Staged under another master (a change since) or overtaken: never announced.
            return None
        save_certificates(paths.keys, (*held, certificate))
        sync_directory(paths.keys)
    return StagedSigning(certificate=certificate, signer=signer)


def _open_staged_token(path: pathlib.Path) -> PKCS11Signer:
    """The staged key ``path`` (a ``signing.token``) names, opened in its logged-in token."""
    found = read_token_file(path)
    if found is None:  # pragma: no cover - checked by staged_signing_certificate
        raise CryptoError(f"{path} is gone")
    return open_token_key(found[0], None)


def signing_keys_in_token(paths: TerminalPaths, first: TokenKey | None) -> dict[bytes, TokenKey]:
    """Where each signing key held in a token lives, by public key (public data: no PIN).

    From the references rotations wrote: the key in use (``keys/signing.token``),
    the old ones kept (``keys/signing-<serial>.token``) and one staged. ``first``
    (``[keys]`` of hotline.toml) is where the only signing key lives until the
    first rotation, which records it as ``signing-1.token``.
    """
    files = [
        paths.keys / SIGNING_TOKEN_FILE,
        *sorted(paths.keys.glob("signing-*.token")),
        paths.keys / ROTATION_DIR / SIGNING_TOKEN_FILE,
    ]
    found: dict[bytes, TokenKey] = {}
    for path in files:
        item = read_token_file(path)
        if item is not None and item[1] is not None:
            found[item[1]] = item[0]
    if first is not None and not (paths.keys / SIGNING_TOKEN_FILE).exists():
        # No switch yet: the key in use is the newest signing key not staged.
        staged = staged_signing_certificate(paths)
        signing = [c for c in read_certificates(paths) if c.kind == "signing" and c != staged]
        if signing:
            found[signing[-1].public_key] = first
    return found
