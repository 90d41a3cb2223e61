"""Changing a terminal's master key on disk, crash-safely (docs/keys.md, "Changing the master key").

A change makes a new master key, a master transition (signed by the old
master, counter-signed by the new: :class:`~hotline.crypto.MasterTransition`)
and new certificates of the current operational keys under the new master
(the same keys, the next serials). On disk it replaces ``keys/master.key`` and
``keys/certificates.cbor``, and keeps the old ones as ``keys/master-N.key``
and ``keys/certificates-N.cbor`` (N = 1, 2, …): no file system renames two
files at once. So, as a TLS rotation (:mod:`~hotline.terminal.config.rotation`),
the new files are first written, complete and fsynced, to
``keys/.master-change/`` with the number N, then a ``ready`` marker: from then
on the change *has happened*. :func:`finish_master_change` (run whenever the
terminal's files are opened) archives the old files, if not yet done, and
moves the new ones into place. One without the marker (a crash before it) is
left alone and the old master stays; the next change clears it.

The TLS files are not touched: the TLS leaf stays the one the old master
issued, which the peers keep accepting (their TLS anchor for the party is
the old master's certificate until they confirm the new fingerprint, and
stays one of their anchors after), so the change can always be delivered.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from dataclasses import dataclass
from datetime import datetime

import cbor2
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from hotline.crypto import (
    Identity,
    KeyCertificate,
    MasterTransition,
    SealingKey,
    Signer,
    SoftwareSigner,
    Unsealer,
    is_sealed,
    make_master_transition,
)
from hotline.errors import CryptoError, InvalidArgument, PassphraseMissing
from hotline.terminal.config.paths import TerminalPaths, private_dir, sync_directory, write_private
from hotline.terminal.config.tiers import (
    CERTIFICATES_FILE,
    MASTER_KEY_FILE,
    KeyTiers,
)

__all__ = [
    "MASTER_CHANGE_DIR",
    "MasterChanged",
    "archived_masters",
    "change_master",
    "finish_master_change",
]

MASTER_CHANGE_DIR = ".master-change"
_NUMBER, _READY = "number", "ready"
_ARCHIVED = re.compile(r"master-(\d+)\.key")


@dataclass(frozen=True, slots=True, kw_only=True)
class MasterChanged:
    """What a master change did: the new tiers, the transition, where the old master went."""

    tiers: KeyTiers
    transition: MasterTransition
    archived_as: str


def archived_masters(paths: TerminalPaths) -> list[int]:
    """The numbers N of the old master keys kept as ``keys/master-N.key``, ascending."""
    found = (_ARCHIVED.fullmatch(entry.name) for entry in paths.keys.iterdir())
    return sorted(int(match.group(1)) for match in found if match is not None)


def change_master(
    paths: TerminalPaths,
    identity: Identity,
    tiers: KeyTiers,
    *,
    passphrase: bytes | None,
    sealed: bool,
    now: datetime,
) -> MasterChanged:
    """A new master key for ``identity``'s party, put in place crash-safely.

    ``passphrase`` must be given when the keys are ``sealed`` (the new master
    is sealed under it, as the old one is) and must open the old master;
    :class:`~hotline.errors.PassphraseMissing` or
    :class:`~hotline.errors.WrongPassphrase` otherwise, before anything is
    written. The current operational keys are certified again under the new
    master (the next serial of each kind).
    """
    party = identity.party
    label = f"{party} master"
    if sealed:
        if passphrase is None:
            raise PassphraseMissing(
                "the keys are sealed: changing the master key needs their passphrase "
                "(--passphrase-file, $HOTLINE_PASSPHRASE_FILE or the systemd credential)"
            )
        blob = (paths.keys / MASTER_KEY_FILE).read_bytes()
        if is_sealed(blob):
            Unsealer(passphrase).open(blob, label=label)  # WrongPassphrase if not
    new_key = Ed25519PrivateKey.generate()
    new = SoftwareSigner(new_key)
    transition = make_master_transition(
        party=party, old=tiers.master, new=new, at=int(now.timestamp())
    )
    # Serials go on from the old master's: one sequence per kind for the party.
    issuing = KeyTiers(master=new, certificates=tiers.certificates)
    reissued = tuple(
        issuing.certify(
            party=party,
            kind=item.kind,
            public_key=item.public_key,
            now=now,
            key_signer=_key_signer(paths, identity, item, sealed=sealed),
        )
        for item in tiers.current()
    )
    raw = new_key.private_bytes_raw()
    blob = raw if not sealed else SealingKey(passphrase or b"").seal(raw, label=label)
    number = 1 + max(archived_masters(paths), default=0)
    staging = paths.keys / MASTER_CHANGE_DIR
    shutil.rmtree(staging, ignore_errors=True)
    private_dir(staging)
    write_private(staging / MASTER_KEY_FILE, blob)
    write_private(staging / CERTIFICATES_FILE, _encode(reissued))
    write_private(staging / _NUMBER, str(number).encode("ascii"))
    write_private(staging / _READY, b"")
    sync_directory(staging)
    finish_master_change(paths)
    return MasterChanged(
        tiers=KeyTiers(master=new, certificates=reissued),
        transition=transition,
        archived_as=f"master-{number}.key",
    )


def finish_master_change(paths: TerminalPaths) -> None:
    """Complete a master change that reached its marker; leave one that did not.

    Idempotent: the old files are archived only while the archive is missing
    (they are replaced only after it exists), and each move tolerates having
    been done, so a crash anywhere is finished by the next call.
    """
    staging = paths.keys / MASTER_CHANGE_DIR
    if not (staging / _READY).exists():
        return
    try:
        number = int((staging / _NUMBER).read_text("ascii"))
    except (OSError, ValueError) as exc:
        raise CryptoError(f"{staging}: an interrupted master change is damaged: {exc}") from exc
    for current, archive in (
        (MASTER_KEY_FILE, f"master-{number}.key"),
        (CERTIFICATES_FILE, f"certificates-{number}.cbor"),
    ):
        target = paths.keys / archive
        if not target.exists():
            # Written aside and renamed: a torn archive would lose the old file.
            aside = paths.keys / f".{archive}.new"
            write_private(aside, (paths.keys / current).read_bytes())
            os.replace(aside, target)
    # Durable before the current files are replaced: the archive is their only copy.
    sync_directory(paths.keys)
    for name in (MASTER_KEY_FILE, CERTIFICATES_FILE):
        with contextlib.suppress(FileNotFoundError):
            os.replace(staging / name, paths.keys / name)
    sync_directory(paths.keys)
    shutil.rmtree(staging, ignore_errors=True)


def _key_signer(
    paths: TerminalPaths, identity: Identity, item: KeyCertificate, *, sealed: bool
) -> Signer | None:
    """The key of ``item`` itself, for its counter-signature (none for encryption)."""
    if item.kind == "encryption":
        return None
    if item.kind == "signing":
        if identity.signing_public != item.public_key:
            raise InvalidArgument(
                f"the current signing certificate {item.key_id} is not of this terminal's "
                "signing key: finish the signing key's rotation first"
            )
        return identity.signer
    password = identity.tls_key_password() if sealed else None
    try:
        key = load_pem_private_key(paths.tls_key.read_bytes(), password=password)
    except (OSError, ValueError, TypeError) as exc:
        raise CryptoError(f"cannot open the TLS key {paths.tls_key}: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise CryptoError(f"{paths.tls_key} does not hold an Ed25519 key")
    signer = SoftwareSigner(key)
    if signer.public_key != item.public_key:
        raise InvalidArgument(
            f"the current TLS certificate {item.key_id} is not of the key in {paths.tls_key}"
        )
    return signer


def _encode(certificates: tuple[KeyCertificate, ...]) -> bytes:
    return cbor2.dumps([item.encode() for item in certificates])
