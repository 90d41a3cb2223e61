"""Rotating a running terminal's encryption key, crash-safely (docs/keys.md §7).

A rotation adds a certificate to ``keys/certificates.cbor``, keeps the old
private key as ``keys/encryption-<serial>.key`` (its certificate's serial)
and puts the new one in ``keys/encryption.key``. The old key is *kept*:
envelopes, and ratchet epoch secrets, that peers sealed to it before they
learnt of the new one may still be in flight or queued, and the terminal
opens them with it (:attr:`hotline.crypto.Identity.previous_encryption_keys`).

As for TLS (:mod:`hotline.terminal.config.rotation`), the new files are first
written, complete and fsynced, to ``keys/.rotation-encryption/`` with the new
key certificate, then a ``ready`` marker: from then on the rotation *has
happened*. :func:`finish_encryption_rotation` (run whenever the terminal's
files are opened) stores the certificate, links the current key to its
retired name, then moves the new key into place; each step checks what is
done, so a crash anywhere is completed by the next call. A staging directory
without its marker is left alone (the old key stays current) and cleared by
the next rotation.

The new key is sealed as the old one is: under the passphrase (the running
terminal's :class:`~hotline.crypto.SealingKey`, derived once at its start),
with the label ``"<party> encryption"`` every encryption key file has.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from hotline.crypto import KEY_BYTES, Identity, KeyCertificate, SealingKey, Unsealer, is_sealed
from hotline.crypto.identity import ENCRYPTION_KEY_FILE
from hotline.errors import CryptoError, PassphraseMissing
from hotline.terminal.config.paths import TerminalPaths, private_dir, sync_directory, write_private
from hotline.terminal.config.rotation import keep_staged_certificate
from hotline.terminal.config.tiers import KeyTiers

__all__ = [
    "ENCRYPTION_ROTATION_DIR",
    "finish_encryption_rotation",
    "load_retired_encryption_keys",
    "retired_encryption_key_files",
    "rotate_encryption",
]

ENCRYPTION_ROTATION_DIR = ".rotation-encryption"
_CERTIFICATE, _READY = "certificate.cbor", "ready"
_RETIRED = re.compile(r"encryption-([1-9][0-9]{0,18})\.key")


def _retired_name(serial: int) -> str:
    return f"encryption-{serial}.key"


def rotate_encryption(
    paths: TerminalPaths,
    identity: Identity,
    tiers: KeyTiers,
    *,
    sealer: SealingKey | None,
    now: datetime,
) -> tuple[KeyTiers, KeyCertificate]:
    """A new X25519 key, certified by the master (the next serial), put in place crash-safely.

    ``identity`` is switched in place (:meth:`~hotline.crypto.Identity.rotate_encryption_key`):
    it opens with the new key first and keeps the old. Returns the tiers with
    the new certificate, and the certificate. ``sealer`` seals the new key
    file (None: the keys are raw). An X25519 key cannot sign, so the
    certificate has no counter-signature (docs/protocol/cards.md §9.1).
    """
    new_key = X25519PrivateKey.generate()
    certificate = tiers.certify(
        party=identity.party,
        kind="encryption",
        public_key=new_key.public_key().public_bytes_raw(),
        now=now,
    )
    raw = new_key.private_bytes_raw()
    blob = raw if sealer is None else sealer.seal(raw, label=f"{identity.party} encryption")
    staging = paths.keys / ENCRYPTION_ROTATION_DIR
    shutil.rmtree(staging, ignore_errors=True)
    private_dir(staging)
    write_private(staging / ENCRYPTION_KEY_FILE, blob)
    write_private(staging / _CERTIFICATE, certificate.encode())
    write_private(staging / _READY, b"")
    sync_directory(staging)
    finish_encryption_rotation(paths)
    identity.rotate_encryption_key(new_key)
    return KeyTiers(
        master=tiers.master, certificates=(*tiers.certificates, certificate)
    ), certificate


def finish_encryption_rotation(paths: TerminalPaths) -> None:
    """Complete an encryption-key rotation that reached its marker; leave one that did not.

    Idempotent, and safe to run by two processes at once (the terminal and
    a ``hotline card`` opening its files): a step already done is skipped,
    a file the other process moved first is no error.
    """
    staging = paths.keys / ENCRYPTION_ROTATION_DIR
    certificate = keep_staged_certificate(paths, staging, what="encryption-key rotation")
    if certificate is None:
        return
    # The key being replaced is the previous serial's (serials are one more
    # than any issued). A hard link is atomic and needs no second copy of the
    # key; it exists before the new key takes the current name.
    retired = paths.keys / _retired_name(certificate.serial - 1)
    current = paths.keys / ENCRYPTION_KEY_FILE
    if not retired.exists():
        try:
            os.link(current, retired)
        except FileExistsError:
            pass
        except OSError:
            # A file system without hard links: a copy, complete before it has the name.
            aside = paths.keys / f".{retired.name}.new"
            write_private(aside, current.read_bytes())
            os.replace(aside, retired)
    # Durable (certificate and retired key) before the new key replaces the old.
    sync_directory(paths.keys)
    with contextlib.suppress(FileNotFoundError):
        os.replace(staging / ENCRYPTION_KEY_FILE, current)
    sync_directory(paths.keys)
    shutil.rmtree(staging, ignore_errors=True)


def retired_encryption_key_files(keys_dir: Path) -> list[Path]:
    """The retired encryption key files in ``keys_dir``, newest (highest serial) first."""
    found: list[tuple[int, Path]] = []
    with contextlib.suppress(FileNotFoundError):
        for path in keys_dir.iterdir():
            match = _RETIRED.fullmatch(path.name)
            if match is not None:
                found.append((int(match.group(1)), path))
    return [path for _, path in sorted(found, reverse=True)]


def load_retired_encryption_keys(
    paths: TerminalPaths, party: str, *, passphrase: bytes | None
) -> tuple[X25519PrivateKey, ...]:
    """The retired encryption keys, newest first, opened with ``passphrase`` if sealed.

    :class:`~hotline.errors.PassphraseMissing` for a sealed file and no
    passphrase, :class:`~hotline.errors.WrongPassphrase` if it does not open
    one, :class:`~hotline.errors.CryptoError` for a damaged file.
    """
    unsealer = Unsealer(passphrase) if passphrase else None
    keys: list[X25519PrivateKey] = []
    for path in retired_encryption_key_files(paths.keys):
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CryptoError(f"cannot read key file {path}: {exc}") from exc
        if is_sealed(data):
            if unsealer is None:
                raise PassphraseMissing(f"{path} is sealed under a passphrase, and none was given")
            data = unsealer.open(data, label=f"{party} encryption")
        if len(data) != KEY_BYTES:
            raise CryptoError(
                f"key file {path} holds {len(data)} bytes, not {KEY_BYTES}: it is damaged"
            )
        keys.append(X25519PrivateKey.from_private_bytes(data))
    return tuple(keys)
