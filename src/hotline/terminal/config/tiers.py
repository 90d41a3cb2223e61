"""A terminal's two tiers of keys on disk: the master key and its key certificates.

A terminal made by ``hotline init`` (with its keys in software) has a
**master key** (``keys/master.key``, sealed like the others under the label
``"<party> master"``) that certifies its operational keys: the signing key
(``keys/signing.key``), the encryption key (``keys/encryption.key``) and a
TLS key of its own (``tls/key.pem``, in a leaf certificate the master issues).
The certificates (:class:`~hotline.crypto.KeyCertificate`) are public and are
kept in ``keys/certificates.cbor``: a CBOR array of encoded certificates, in
the order they were issued, each checked against the master when read. The
card carries the master key and the newest certificate of each kind, and the
address's signing certificate after a signing rotation
(docs/keys.md, "The key hierarchy").

A terminal without ``master.key`` (made before two tiers, or with its signing
key in a PKCS#11 token) is single-tier: its identity key is its master and
signs everything, as before; :func:`load_tiers` gives ``None`` for it.
"""

from __future__ import annotations

import functools
import os
import pathlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

import cbor2
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hotline.crypto import (
    KEY_BYTES,
    KEY_KINDS,
    Identity,
    KeyCertificate,
    PeerCard,
    SealingKey,
    Signer,
    SoftwareSigner,
    TokenKey,
    Unsealer,
    certificate_pem,
    certify_key,
    is_sealed,
    make_tls_leaf,
    private_key_pem,
)
from hotline.errors import (
    CardInvalid,
    ConfigError,
    CryptoError,
    InvalidArgument,
    PassphraseMissing,
)
from hotline.store import PeerRecord
from hotline.terminal.config.paths import TerminalPaths, private_dir, write_private
from hotline.terminal.config.token import (
    Pin,
    TokenMaster,
    generate_signing_key,
    read_master_token,
    write_master_token,
)

__all__ = [
    "CERTIFICATES_FILE",
    "MASTER_KEY_FILE",
    "OPERATIONAL_VALIDITY",
    "IssuedTLSKey",
    "KeyTiers",
    "create_tiers",
    "load_tiers",
    "new_tls_key",
    "peer_master",
    "read_certificates",
    "read_master_documents",
    "renew_tls",
    "save_certificates",
    "with_address",
]

MASTER_KEY_FILE = "master.key"
CERTIFICATES_FILE = "certificates.cbor"
OPERATIONAL_VALIDITY = 2 * 365 * 86400
"""Seconds an operational key is certified for: two years, rotated well before."""


@dataclass(frozen=True, slots=True)
class KeyTiers:
    """A two-tier terminal's master key and every certificate it has issued."""

    master: Signer
    certificates: tuple[KeyCertificate, ...]

    def current(self) -> tuple[KeyCertificate, ...]:
        """The newest certificate of each kind, in ``KEY_KINDS`` order: what the card carries."""
        newest: dict[str, KeyCertificate] = {}
        for item in self.certificates:
            if item.kind not in newest or item.serial > newest[item.kind].serial:
                newest[item.kind] = item
        return tuple(newest[kind] for kind in KEY_KINDS if kind in newest)

    def card_certificates(self, address: bytes) -> tuple[KeyCertificate, ...]:
        """What the card carries: :meth:`current`, with the signing certificate of ``address``
        before the current signing key's.

        The card names the party by its address (its first signing key) for
        good; after a signing rotation it carries the newest signing key's
        certificate too, so that a peer adding the card then accepts what that
        key signs at once (docs/protocol/cards.md §9.2). Nothing rotated: the
        card is what it always was.
        """
        first = next(
            (c for c in self.certificates if c.kind == "signing" and c.public_key == address),
            None,
        )
        carried: list[KeyCertificate] = []
        for item in self.current():
            if first is not None and item.kind == "signing" and item != first:
                carried.append(first)
            carried.append(item)
        return tuple(carried)

    def next_serial(self, kind: str) -> int:
        """The serial of the next ``kind`` certificate: one more than any issued."""
        return 1 + max((item.serial for item in self.certificates if item.kind == kind), default=0)

    def certify(
        self,
        *,
        party: str,
        kind: str,
        public_key: bytes,
        now: datetime,
        key_signer: Signer | None = None,
    ) -> KeyCertificate:
        """A new certificate of ``public_key`` as the next ``kind`` key, valid from ``now``."""
        start = int(now.timestamp())
        return certify_key(
            master=self.master,
            party=party,
            kind=kind,
            public_key=public_key,
            serial=self.next_serial(kind),
            not_before=start,
            not_after=start + OPERATIONAL_VALIDITY,
            key_signer=key_signer,
        )


def create_tiers(
    paths: TerminalPaths,
    identity: Identity,
    *,
    passphrase: bytes | None,
    now: datetime,
    master_token: TokenKey | None = None,
    pin: Pin | None = None,
) -> KeyTiers:
    """Make a master key for ``identity``'s operational keys, certify them, write the TLS files.

    Writes ``keys/master.key`` (sealed under ``passphrase``, or raw),
    ``keys/certificates.cbor``, and ``tls/cert.pem`` and ``tls/key.pem`` (a
    new TLS key in a leaf the master issues). The keys directory must exist.

    With ``master_token`` the master key is generated in that PKCS#11 token
    (logged in with ``pin``) and never leaves it; ``keys/master.token`` says
    where it is, in place of ``keys/master.key``.
    """
    if master_token is not None:
        signer = generate_signing_key(master_token, pin)
        write_master_token(paths.keys, master_token)
        return _certify_operational(paths, identity, signer, passphrase=passphrase, now=now)
    master_key = Ed25519PrivateKey.generate()
    raw = master_key.private_bytes_raw()
    blob = (
        raw
        if passphrase is None
        else SealingKey(passphrase).seal(raw, label=f"{identity.party} master")
    )
    path = paths.keys / MASTER_KEY_FILE
    if path.exists():
        raise ConfigError(f"{path} already exists; refusing to overwrite a key")
    write_private(path, blob)
    return _certify_operational(
        paths, identity, SoftwareSigner(master_key), passphrase=passphrase, now=now
    )


def _certify_operational(
    paths: TerminalPaths,
    identity: Identity,
    master: Signer,
    *,
    passphrase: bytes | None,
    now: datetime,
) -> KeyTiers:
    tiers = KeyTiers(master=master, certificates=())
    issued = (
        tiers.certify(
            party=identity.party,
            kind="signing",
            public_key=identity.signing_public,
            now=now,
            key_signer=identity.signer,
        ),
        tiers.certify(
            party=identity.party, kind="encryption", public_key=identity.encryption_public, now=now
        ),
    )
    tiers = KeyTiers(master=tiers.master, certificates=issued)
    return renew_tls(paths, identity, tiers, sealed=passphrase is not None, now=now)


def renew_tls(
    paths: TerminalPaths, identity: Identity, tiers: KeyTiers, *, sealed: bool, now: datetime
) -> KeyTiers:
    """A new TLS key: certified by the master, in a leaf it issues, written to ``tls/``.

    Also how a two-tier terminal rewrites a deleted ``tls/`` at its start.
    Returns the tiers with the new certificate, which is saved too.
    """
    issued = new_tls_key(identity, tiers, sealed=sealed, now=now)
    tiers = KeyTiers(master=tiers.master, certificates=(*tiers.certificates, issued.certificate))
    save_certificates(paths.keys, tiers.certificates)
    private_dir(paths.tls)
    write_private(paths.certificate, issued.certificate_pem)
    write_private(paths.tls_key, issued.key_pem)
    return tiers


@dataclass(frozen=True, slots=True)
class IssuedTLSKey:
    """A new TLS key as files: its key certificate, its leaf's PEM, its private key's PEM."""

    certificate: KeyCertificate
    certificate_pem: bytes
    key_pem: bytes


def new_tls_key(
    identity: Identity, tiers: KeyTiers, *, sealed: bool, now: datetime
) -> IssuedTLSKey:
    """A new TLS key certified by the master (the next serial), in a leaf the master issues.

    The private key is encrypted when ``sealed`` (under the passphrase-derived
    TLS password), as the rest of the terminal's TLS key files are.
    """
    tls_key = Ed25519PrivateKey.generate()
    tls_signer = SoftwareSigner(tls_key)
    certificate = tiers.certify(
        party=identity.party,
        kind="tls",
        public_key=tls_signer.public_key,
        now=now,
        key_signer=tls_signer,
    )
    leaf = make_tls_leaf(identity, tls_key, issuer=tiers.master)
    password = identity.tls_key_password() if sealed else None
    return IssuedTLSKey(
        certificate=certificate,
        certificate_pem=certificate_pem(leaf).encode("ascii"),
        key_pem=private_key_pem(identity, password=password, key=tls_key),
    )


def load_tiers(
    paths: TerminalPaths, party: str, *, passphrase: bytes | None, pin: Pin | None = None
) -> KeyTiers | None:
    """The master key and certificates, or ``None`` for a single-tier terminal.

    A master in a token (``keys/master.token``) is a :class:`TokenMaster`:
    logged in here with ``pin`` if one is given (``hotline run``: a wrong PIN
    refuses at once), else at its first signature, with the PIN the
    environment gives.

    :class:`~hotline.errors.PassphraseMissing` if the master key is sealed and
    no passphrase is given, :class:`~hotline.errors.WrongPassphrase` if it
    does not open it, :class:`~hotline.errors.CryptoError` if a file is damaged
    or a certificate is not the master's.
    """
    path = paths.keys / MASTER_KEY_FILE
    try:
        blob = path.read_bytes()
    except FileNotFoundError:
        return _load_token_tiers(paths, party, pin)
    except OSError as exc:
        raise CryptoError(f"cannot read key file {path}: {exc}") from exc
    if is_sealed(blob):
        if passphrase is None:
            raise PassphraseMissing(f"{path} is sealed under a passphrase, and none was given")
        blob = Unsealer(passphrase).open(blob, label=f"{party} master")
    if len(blob) != KEY_BYTES:
        raise CryptoError(
            f"key file {path} holds {len(blob)} bytes, not {KEY_BYTES}: it is damaged"
        )
    return _with_certificates(
        paths, party, SoftwareSigner(Ed25519PrivateKey.from_private_bytes(blob))
    )


def _load_token_tiers(paths: TerminalPaths, party: str, pin: Pin | None) -> KeyTiers | None:
    where = read_master_token(paths.keys)
    if where is None:
        return None
    certificates = read_certificates(paths)
    if not certificates:
        raise CryptoError(
            f"{paths.keys / CERTIFICATES_FILE} is missing: the master key's certificates are gone"
        )
    master = TokenMaster(where, certificates[0].master_key, pin)
    if pin is not None:
        master.open()
    return _with_certificates(paths, party, master)


def _with_certificates(paths: TerminalPaths, party: str, master: Signer) -> KeyTiers:
    certificates = read_certificates(paths)
    if not certificates:
        raise CryptoError(
            f"{paths.keys / CERTIFICATES_FILE} is missing: the master key's certificates are gone"
        )
    for item in certificates:
        if item.master_key != master.public_key or item.party != party:
            raise CryptoError(
                f"{paths.keys / CERTIFICATES_FILE} holds {item.key_id}, "
                "which this terminal's master key did not issue"
            )
    return KeyTiers(master=master, certificates=certificates)


def read_certificates(paths: TerminalPaths) -> tuple[KeyCertificate, ...]:
    """Every key certificate the terminal's master issued, oldest first; () for single-tier.

    Public data: reading it needs no passphrase (``hotline key list``). Each
    certificate is verified; :class:`~hotline.errors.CryptoError` if the file
    is damaged or they are not all of one master.
    """
    return read_master_documents(
        paths.keys / CERTIFICATES_FILE, KeyCertificate.decode, what="key certificates"
    )


class _OfMaster(Protocol):
    @property
    def master_key(self) -> bytes: ...


_Doc = TypeVar("_Doc", bound=_OfMaster)


def read_master_documents(
    path: pathlib.Path, decode: Callable[[bytes], _Doc], *, what: str
) -> tuple[_Doc, ...]:
    """The documents (key certificates, revocations) a terminal's master signed, kept in
    ``path`` as a CBOR array of their encodings, oldest first; () if there is no file.

    Each is decoded and verified by ``decode``; :class:`~hotline.errors.CryptoError`
    if the file is damaged, a document does not hold, or they are not all of one master.
    """
    try:
        items = cbor2.loads(path.read_bytes())
    except FileNotFoundError:
        return ()
    except Exception as exc:
        # cbor2 raises several types for a damaged file; any is "damaged".
        raise CryptoError(f"{path} is damaged: {exc}") from exc
    if not isinstance(items, list) or not all(isinstance(item, bytes) for item in items):
        raise CryptoError(f"{path} is not an array of {what}")
    try:
        documents = tuple(decode(item) for item in items)
    except (CardInvalid, InvalidArgument) as exc:
        raise CryptoError(f"{path}: {exc}") from exc
    if len({item.master_key for item in documents}) > 1:
        raise CryptoError(f"{path} holds {what} of more than one master key")
    return documents


def save_certificates(keys_dir: pathlib.Path, certificates: tuple[KeyCertificate, ...]) -> None:
    """Write ``keys/certificates.cbor``: aside and renamed, so a crash leaves the old list or the new."""
    path = keys_dir / CERTIFICATES_FILE
    staging = keys_dir / f".{CERTIFICATES_FILE}.new"
    write_private(staging, cbor2.dumps([item.encode() for item in certificates]))
    os.replace(staging, path)


def peer_master(peer: PeerRecord) -> bytes:
    """The master key of a peer (its signing key if its card is single-tier).

    A two-tier peer's TLS certificate is a leaf its master issued, so TLS
    authenticates the master; its envelopes, receipts and ``hello`` are signed
    by the operational signing key its card names. The daemon accepts the
    one for the other through this.
    """
    return _card_master(peer.card_json) or peer.signing_key


@functools.lru_cache(maxsize=256)
def _card_master(card_json: str) -> bytes | None:
    # The card was verified when it was added; parsing it again checks it again.
    try:
        return PeerCard.from_json(card_json).master
    except CardInvalid:
        # A stored card this hotline no longer reads: it can only be single-tier.
        return None


def with_address(identity: Identity, certificates: tuple[KeyCertificate, ...]) -> Identity:
    """``identity`` named by its party's address once its signing key has rotated.

    The address is the first signing key (serial 1), which names the party on
    the wire for good; ``identity`` as loaded from ``keys/signing.key`` holds
    the current one. Unchanged when they are the same, or single-tier.
    """
    first = next((c for c in certificates if c.kind == "signing" and c.serial == 1), None)
    if first is None or first.public_key == identity.signing_public:
        return identity
    return Identity(
        party=identity.party,
        signer=identity.signer,
        encryption_key=identity.encryption_key,
        address=first.public_key,
    )
