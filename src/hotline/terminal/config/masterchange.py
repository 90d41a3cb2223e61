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
    ENCRYPTION_KEY_FILE,
    KEY_BYTES,
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
    read_certificates,
    read_master_documents,
)
from hotline.terminal.config.token import MASTER_TOKEN_FILE

__all__ = [
    "MASTER_CHANGE_DIR",
    "MasterChanged",
    "archived_masters",
    "certificate_history",
    "change_master",
    "finish_master_change",
]

MASTER_CHANGE_DIR = ".master-change"
_NUMBER, _READY = "number", "ready"
_ARCHIVED = re.compile(r"master-(\d+)\.(?:key|token)")


@dataclass(frozen=True, slots=True, kw_only=True)
class MasterChanged:
    """What a master change did: the new tiers, the transition, where the old master went."""

    tiers: KeyTiers
    transition: MasterTransition
    archived_as: str


def archived_masters(paths: TerminalPaths) -> list[int]:
    """The numbers N of the old master keys kept as ``keys/master-N.key`` (or, one that
    was in a token, ``keys/master-N.token``), ascending."""
    found = (_ARCHIVED.fullmatch(entry.name) for entry in paths.keys.iterdir())
    return sorted(int(match.group(1)) for match in found if match is not None)


def certificate_history(paths: TerminalPaths) -> tuple[KeyCertificate, ...]:
    """Every key certificate this terminal's masters issued: the earlier masters' first
    (``keys/certificates-N.cbor``, N ascending), then the current one's, each oldest first.

    What ``hotline verify`` checks our own signatures against: after a master
    change, a rotated signing key signed under its old master's certificate.
    Public data; :class:`~hotline.errors.CryptoError` if a file is damaged.
    """
    earlier = (
        read_master_documents(
            paths.keys / f"certificates-{number}.cbor",
            KeyCertificate.decode,
            what="key certificates",
        )
        for number in archived_masters(paths)
    )
    return (*(item for archive in earlier for item in archive), *read_certificates(paths))


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
        # The old master's file, or (a master in a token) the encryption key's:
        # the new master must not be sealed under a passphrase that opens nothing.
        held, held_label = paths.keys / MASTER_KEY_FILE, label
        if not held.exists():
            held, held_label = paths.keys / ENCRYPTION_KEY_FILE, f"{party} encryption"
        blob = held.read_bytes()
        if is_sealed(blob):
            Unsealer(passphrase).open(blob, label=held_label)  # WrongPassphrase if not
    new_key = Ed25519PrivateKey.generate()
    new = SoftwareSigner(new_key)
    transition = make_master_transition(
        party=party, old=tiers.master, new=new, at=int(now.timestamp())
    )
    # Serials go on from the old master's: one sequence per kind for the party.
    issuing = KeyTiers(master=new, certificates=tiers.certificates)
    reissued: list[KeyCertificate] = []
    for key_signer, item in _to_certify(
        paths, identity, tiers, passphrase=passphrase if sealed else None, sealed=sealed
    ):
        issued = issuing.certify(
            party=party, kind=item.kind, public_key=item.public_key, now=now, key_signer=key_signer
        )
        reissued.append(issued)
        issuing = KeyTiers(master=new, certificates=(*issuing.certificates, issued))
    raw = new_key.private_bytes_raw()
    blob = raw if not sealed else SealingKey(passphrase or b"").seal(raw, label=label)
    number = 1 + max(archived_masters(paths), default=0)
    suffix = "key" if (paths.keys / MASTER_KEY_FILE).exists() else "token"
    staging = paths.keys / MASTER_CHANGE_DIR
    shutil.rmtree(staging, ignore_errors=True)
    private_dir(staging)
    write_private(staging / MASTER_KEY_FILE, blob)
    write_private(staging / CERTIFICATES_FILE, _encode(tuple(reissued)))
    write_private(staging / _NUMBER, str(number).encode("ascii"))
    write_private(staging / _READY, b"")
    sync_directory(staging)
    finish_master_change(paths)
    return MasterChanged(
        tiers=KeyTiers(master=new, certificates=tuple(reissued)),
        transition=transition,
        archived_as=f"master-{number}.{suffix}",
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
    # A master that was in a token is archived as where it was (master-N.token).
    from_token = (
        not (paths.keys / MASTER_KEY_FILE).exists()
        or (paths.keys / f"master-{number}.token").exists()
    )
    master_archive = (
        (MASTER_TOKEN_FILE, f"master-{number}.token")
        if from_token
        else (MASTER_KEY_FILE, f"master-{number}.key")
    )
    for current, archive in (master_archive, (CERTIFICATES_FILE, f"certificates-{number}.cbor")):
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
    if from_token:
        # Last: until the new master.key is in place, master.token names the master.
        with contextlib.suppress(FileNotFoundError):
            (paths.keys / MASTER_TOKEN_FILE).unlink()
    sync_directory(paths.keys)
    shutil.rmtree(staging, ignore_errors=True)


def _to_certify(
    paths: TerminalPaths,
    identity: Identity,
    tiers: KeyTiers,
    *,
    passphrase: bytes | None,
    sealed: bool,
) -> list[tuple[Signer | None, KeyCertificate]]:
    """What the new master certifies: each current key, with its own signer for the
    counter-signature (none for encryption), in ``KEY_KINDS`` order.

    After a rotation of the signing key, the **address** (the first signing key,
    kept as ``keys/signing-N.key``) is certified again first, and the current
    signing key next, so that the newest signing certificate stays the current
    key's: the card names the party by the address, and what the current key
    signs carries it in ``"sk"`` (docs/keys.md §7b).
    """
    found: list[tuple[Signer | None, KeyCertificate]] = []
    for item in tiers.current():
        if item.kind == "encryption":
            found.append((None, item))
        elif item.kind == "signing":
            if identity.signer_public != item.public_key:
                raise InvalidArgument(
                    f"the current signing certificate {item.key_id} is not of this terminal's "
                    "signing key: finish the signing key's rotation first (it switches once "
                    "every peer has receipted its key event)"
                )
            if identity.rotated_signer is not None:
                address = _address_signer(paths, identity, passphrase=passphrase)
                found.append((address, _of_key(tiers, address.public_key)))
            found.append((identity.signer, item))
        else:
            found.append((_tls_signer(paths, identity, item, sealed=sealed), item))
    return found


def _of_key(tiers: KeyTiers, public_key: bytes) -> KeyCertificate:
    # The address's newest certificate: a template for its kind.
    return next(c for c in reversed(tiers.certificates) if c.public_key == public_key)


def _address_signer(
    paths: TerminalPaths, identity: Identity, *, passphrase: bytes | None
) -> Signer:
    """The address's private key, from the retired signing keys (``keys/signing-N.key``)."""
    label = f"{identity.party} signing"
    opener = Unsealer(passphrase) if passphrase is not None else None
    for path in sorted(paths.keys.glob("signing-*.key")):
        blob = path.read_bytes()
        if is_sealed(blob):
            if opener is None:
                continue
            blob = opener.open(blob, label=label)
        if len(blob) != KEY_BYTES:
            continue
        signer = SoftwareSigner(Ed25519PrivateKey.from_private_bytes(blob))
        if signer.public_key == identity.signing_public:
            return signer
    raise InvalidArgument(
        f"the master change certifies the party's address (its first signing key) again, "
        f"and its private key is not among {paths.keys}/signing-N.key: restore that file "
        "from a backup first"
    )


def _tls_signer(
    paths: TerminalPaths, identity: Identity, item: KeyCertificate, *, sealed: bool
) -> Signer:
    """The TLS key of ``item``, from ``tls/key.pem``, for its counter-signature."""
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
