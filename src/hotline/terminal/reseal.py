"""Changing the passphrase of a stopped terminal: every sealed key file resealed (``hotline passphrase change``).

A terminal keeps its private keys sealed under one passphrase (docs/keys.md
§2): ``keys/master.key`` (two tiers) and the old masters a master change kept
(``keys/master-N.key``), ``keys/signing.key`` (none when the key is in a
token) and the retired ones, ``keys/encryption.key`` and the retired ones,
each bound to its label
(``"<party> master"``, ``"<party> signing"``, ``"<party> encryption"``). The
TLS key's password is derived from the keys themselves, not the passphrase, so
a change of passphrase leaves ``tls/key.pem`` as it is; protecting an
unprotected terminal encrypts it, unprotecting decrypts it.

Crash safety: every file is opened first (nothing is written if one does not
open), then each is written beside the old one (``NAME.new``, 0600, fsynced)
and renamed over it, the directory fsynced. ``encryption.key`` goes last: it
is the file ``Identity.keys_sealed`` looks at. An interrupted change leaves
some files under the old passphrase and some under the new; a re-run opens
each with the old passphrase, else with the new, and finishes the job.

The change is journalled (``keys resealed``: which files, sealed or not; no
secret) into the record, as other verbs of a stopped terminal do.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hotline.crypto import Identity
from hotline.crypto.identity import ENCRYPTION_KEY_FILE, KEY_BYTES, SIGNING_KEY_FILE
from hotline.crypto.sealed import SealingKey, Unsealer, is_sealed
from hotline.errors import (
    ConfigError,
    CryptoError,
    HotlineError,
    NotInitialised,
    WrongPassphrase,
)
from hotline.store import open_store
from hotline.terminal.config.masterchange import archived_masters, finish_master_change
from hotline.terminal.config.passphrase import Passphrase, passphrase_missing
from hotline.terminal.config.paths import TerminalPaths, sync_directory, write_private
from hotline.terminal.config.rotation_encryption import retired_encryption_key_files
from hotline.terminal.config.settings import load_settings
from hotline.terminal.config.tiers import MASTER_KEY_FILE
from hotline.terminal.runner import DirectoryLock
from hotline.utc import format_utc

__all__ = ["RESEALED_KIND", "Resealed", "reseal_keys"]

#: The journal entry's kind.
RESEALED_KIND = "keys resealed"

_ENCRYPTED_PEM = b"-----BEGIN ENCRYPTED PRIVATE KEY-----"


@dataclass(frozen=True, slots=True)
class Resealed:
    """What :func:`reseal_keys` did."""

    #: The files rewritten, relative to the directory (empty: all were already done).
    rewritten: tuple[str, ...]
    #: Whether the keys are now sealed (False: ``--unprotect``).
    sealed: bool
    #: Whether the change was journalled (False: the store could not be opened).
    journalled: bool
    #: Why it was not journalled, when it was not.
    journal_error: str = ""


@dataclass(frozen=True, slots=True)
class _KeyFile:
    path: Path
    label: str
    secret: bytes
    done: bool  # already in the target state (an interrupted change)


def reseal_keys(
    directory: Path,
    *,
    current: Passphrase | None,
    new: bytes | None,
    now: datetime,
) -> Resealed:
    """Reseal every private key file of the stopped terminal in ``directory`` under ``new``.

    ``new`` None turns the keys raw (unprotected). ``current`` opens the files
    sealed under the old passphrase (None: they are raw, or already under
    ``new``). :class:`DaemonError` if the terminal runs,
    :class:`~hotline.errors.WrongPassphrase` naming ``current``'s source if a
    file opens under neither passphrase, and then nothing is written.
    """
    paths = TerminalPaths(directory)
    if not paths.is_initialised():
        raise NotInitialised(
            f"{directory} is not a hotline terminal (create one with: hotline init)"
        )
    settings = load_settings(paths.config)
    lock = DirectoryLock(paths.lock)
    lock.acquire_stopped("hotline passphrase change needs it stopped")
    try:
        # A master change that reached its marker has happened: settle its files
        # first, or the staged master.key (under the old passphrase) would be moved
        # into place after the others were resealed.
        finish_master_change(paths)
        party = settings.party
        # Signing keys a rotation retired (keys/signing-<serial>.key) are resealed too,
        # before the current one: the TLS password below is the current key's.
        retired = [(path.name, "signing") for path in sorted(paths.keys.glob("signing-*.key"))]
        # So are the old master keys a master change archived (keys/master-N.key, §7b):
        # the same label as the current one, and copied directories open them alike.
        archived = [(f"master-{number}.key", "master") for number in archived_masters(paths)]
        names = [
            (MASTER_KEY_FILE, "master"),
            *archived,
            *retired,
            (SIGNING_KEY_FILE, "signing"),
        ]
        # Retired encryption keys (docs/keys.md §7) carry the same label as the current one.
        names.extend((p.name, "encryption") for p in retired_encryption_key_files(paths.keys))
        names.append((ENCRYPTION_KEY_FILE, "encryption"))  # last: the "sealed" marker
        old = Unsealer(current.secret) if current is not None else None
        target = Unsealer(new) if new is not None else None
        keys = [
            _open(paths.keys / name, f"{party} {role}", old=old, target=target, current=current)
            for name, role in names
            if (paths.keys / name).exists()
        ]
        tls_pem = _tls_pem(
            paths, keys, party, sealed=new is not None, token=bool(settings.signing_token)
        )
        sealing = SealingKey(new) if new is not None else None
        rewritten: list[str] = []
        for key in keys[:-1]:
            if not key.done:
                _replace(key.path, _blob(key, sealing))
                rewritten.append(str(key.path.relative_to(paths.root)))
        if tls_pem is not None:
            _replace(paths.tls_key, tls_pem)
            rewritten.append(str(paths.tls_key.relative_to(paths.root)))
        if keys and not keys[-1].done:
            _replace(keys[-1].path, _blob(keys[-1], sealing))
            rewritten.append(str(keys[-1].path.relative_to(paths.root)))
        journalled, error = _journal(paths, settings.store_url, rewritten, new is not None, now)
    finally:
        lock.release()
    return Resealed(
        rewritten=tuple(rewritten),
        sealed=new is not None,
        journalled=journalled,
        journal_error=error,
    )


def _open(
    path: Path,
    label: str,
    *,
    old: Unsealer | None,
    target: Unsealer | None,
    current: Passphrase | None,
) -> _KeyFile:
    try:
        blob = path.read_bytes()
    except OSError as exc:
        raise CryptoError(f"cannot read key file {path}: {exc}") from exc
    if not is_sealed(blob):
        if len(blob) != KEY_BYTES:
            raise CryptoError(f"key file {path} holds {len(blob)} bytes, not {KEY_BYTES}")
        return _KeyFile(path=path, label=label, secret=blob, done=target is None)
    if old is not None:
        try:
            return _KeyFile(path=path, label=label, secret=old.open(blob, label=label), done=False)
        except WrongPassphrase:
            if target is None:
                raise _wrong(path, current) from None
    if target is not None:
        # Already under the new passphrase: a change interrupted before, or run twice.
        try:
            return _KeyFile(
                path=path, label=label, secret=target.open(blob, label=label), done=True
            )
        except WrongPassphrase:
            pass
    if current is None:
        raise passphrase_missing(f"{path} is sealed: changing its passphrase")
    raise _wrong(path, current)


def _wrong(path: Path, current: Passphrase | None) -> WrongPassphrase:
    source = current.source if current is not None else "none"
    return WrongPassphrase(
        f"the current passphrase from {source} does not open {path} "
        "(a wrong passphrase, or a changed key file); nothing was changed"
    )


def _blob(key: _KeyFile, sealing: SealingKey | None) -> bytes:
    return key.secret if sealing is None else sealing.seal(key.secret, label=key.label)


def _tls_pem(
    paths: TerminalPaths, keys: list[_KeyFile], party: str, *, sealed: bool, token: bool
) -> bytes | None:
    """``tls/key.pem`` rewritten encrypted (``sealed``) or plain; None if it already is."""
    try:
        pem = paths.tls_key.read_bytes()
    except FileNotFoundError:
        return None  # rewritten at the next start, as the keys are then
    except OSError as exc:
        raise CryptoError(f"cannot read {paths.tls_key}: {exc}") from exc
    if pem.startswith(_ENCRYPTED_PEM) == sealed:
        return None
    if token:
        raise ConfigError(
            "protecting or unprotecting a terminal whose signing key is in a token is not "
            "supported yet: only a change of passphrase is"
        )
    secrets = {key.label: key.secret for key in keys}
    identity = Identity.from_private_bytes(
        party, secrets[f"{party} signing"], secrets[f"{party} encryption"]
    )
    password = identity.tls_key_password()
    try:
        key = serialization.load_pem_private_key(pem, password=None if sealed else password)
    except (ValueError, TypeError) as exc:
        raise CryptoError(f"{paths.tls_key} does not open: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise CryptoError(f"{paths.tls_key} is not an Ed25519 key")
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password) if sealed else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def _replace(path: Path, data: bytes) -> None:
    # Beside the old, owner-only and fsynced, then renamed over it: a crash
    # leaves the old file or the new, never half of one.
    aside = path.with_name(path.name + ".new")
    write_private(aside, data)
    os.replace(aside, path)
    sync_directory(path.parent)


def _journal(
    paths: TerminalPaths, url: str | None, rewritten: list[str], sealed: bool, now: datetime
) -> tuple[bool, str]:
    try:
        store = open_store(url, create=False) if url is not None else open_store(paths.database)
    except (HotlineError, OSError) as exc:  # the keys are done; only the entry is not
        return False, str(exc)
    try:
        with store.transaction():
            store.append_journal(
                kind=RESEALED_KIND,
                at=format_utc(now),
                data={"files": sorted(rewritten), "keys": "sealed" if sealed else "unprotected"},
            )
    finally:
        store.close()
    return True, ""
