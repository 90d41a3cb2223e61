"""Creating a terminal directory, reading its card, and adding peers' cards.

These work on the directory directly, with no daemon running: ``init``
happens before there is a daemon, and a peer can be added before the first
``run``. While a daemon runs, the CLI adds peers through its control API
instead, so the daemon starts dialing at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from hotline.crypto import (
    Identity,
    PeerCard,
    SealingKey,
    SoftwareSigner,
    TokenKey,
    make_card,
    make_tls_certificate,
    make_tls_leaf,
    private_key_pem,
    validate_party,
)
from hotline.crypto import certificate_pem as _certificate_pem
from hotline.errors import (
    AlreadyInitialised,
    NotInitialised,
    PeerConflict,
    PeerRemoved,
    StoreError,
    TokenUnavailable,
    WrongPassphrase,
)
from hotline.store import PartyRecord, PeerRecord, Store, open_store
from hotline.terminal.config.cardcache import card_stamp, keep_card, kept_card
from hotline.terminal.config.console_tls import make_console_certificate
from hotline.terminal.config.masterchange import certificate_history, finish_master_change
from hotline.terminal.config.passphrase import Passphrase, find_passphrase, passphrase_missing
from hotline.terminal.config.paths import (
    TerminalPaths,
    private_dir,
    private_file,
    write_private,
)
from hotline.terminal.config.rotation import StagedSigning, finish_rotation, read_staged_signing
from hotline.terminal.config.rotation_encryption import (
    finish_encryption_rotation,
    load_retired_encryption_keys,
)
from hotline.terminal.config.settings import (
    LinkSettings,
    Settings,
    check_console,
    check_listen,
    check_metrics,
    check_store_url,
    check_timezone,
    load_settings,
    render_settings,
)
from hotline.terminal.config.tiers import (
    KeyTiers,
    create_tiers,
    load_tiers,
    renew_tls,
    with_address,
)
from hotline.terminal.config.token import (
    SIGNING_TOKEN_FILE,
    Pin,
    TokenMaster,
    generate_signing_key,
    open_signer,
    read_token_file,
)
from hotline.terminal.runtime.clock import Clock, SystemClock
from hotline.utc import format_utc

__all__ = [
    "PeerAdded",
    "TerminalFiles",
    "add_peer_card",
    "init_terminal",
    "open_terminal",
    "parse_card",
]


@dataclass(frozen=True, slots=True)
class TerminalFiles:
    """An initialised terminal directory, opened: settings, identity, store."""

    paths: TerminalPaths
    settings: Settings
    identity: Identity
    store: Store
    #: Whether the private keys are sealed under a passphrase (False: raw on disk).
    keys_sealed: bool = False
    #: The master key and its certificates; None for a single-tier terminal.
    tiers: KeyTiers | None = None
    #: Seals a new key file as the others are (a two-tier terminal with sealed keys), else None.
    key_sealer: SealingKey | None = None
    #: A signing key staged before a stop and not switched to (opened for the daemon only).
    staged_signing: StagedSigning | None = None

    @property
    def tls_key_password(self) -> bytes | None:
        """The password ``tls/key.pem`` is encrypted under; None when it is plain."""
        return self.identity.tls_key_password() if self.keys_sealed else None

    def card(self, *, routes: Sequence[str] | None = None) -> PeerCard:
        """This terminal's peer card, to hand to its peers (version 2 with two tiers).

        ``routes`` replaces the card's routes (a card naming a relay or proxy
        in front of the listening addresses); the card is signed as ever.
        """
        kept = routes is None
        routes = self.settings.card_routes if routes is None else routes
        if self.tiers is None:
            return make_card(self.identity, routes=routes, timezone=self.settings.timezone)
        tiers = self.tiers
        if not kept or isinstance(tiers.master, SoftwareSigner):
            return self._make_card(tiers, routes)
        # The master is in a token: the card it signed is kept, so that a command
        # without the PIN can serve it (config/cardcache.py).
        stamp = card_stamp(self.identity, tiers, routes=routes, timezone=self.settings.timezone)
        if isinstance(tiers.master, TokenMaster) and not tiers.master.is_open:
            card, why = kept_card(self.paths.keys, stamp)
            if card is not None:
                return card
            try:
                card = self._make_card(tiers, routes)
            except TokenUnavailable as exc:
                raise TokenUnavailable(
                    f"{why}, and signing a new one needs the master key's PIN: {exc}; "
                    "give it ($HOTLINE_PKCS11_PIN_FILE), or start the terminal "
                    "(hotline run signs the card at its start)"
                ) from exc
        else:
            card = self._make_card(tiers, routes)
        keep_card(self.paths.keys, card, stamp)
        return card

    def _make_card(self, tiers: KeyTiers, routes: Sequence[str]) -> PeerCard:
        return make_card(
            self.identity,
            routes=routes,
            timezone=self.settings.timezone,
            master=tiers.master,
            key_certificates=tiers.card_certificates(self.identity.signing_public),
        )


@dataclass(frozen=True, slots=True)
class PeerAdded:
    """The result of adding a card."""

    peer: PeerRecord
    new: bool


def init_terminal(
    directory: Path,
    *,
    party: str,
    listen: list[str],
    timezone: str = "UTC",
    console: str | None = None,
    clock: Clock | None = None,
    store_url: str | None = None,
    metrics: str | None = None,
    passphrase: bytes | None = None,
    signing_token: TokenKey | None = None,
    pin: Pin | None = None,
    two_tier: bool = True,
    master_token: TokenKey | None = None,
) -> TerminalFiles:
    """Create a terminal in ``directory``: keys, TLS certificate, settings, store, journal.

    ``two_tier`` (with the keys in software) makes a master key that
    certifies the operational keys (:mod:`~hotline.terminal.config.tiers`);
    False makes a single-tier terminal, as before two tiers. A signing key in
    a token is single-tier: the token's key is the master and signs.

    With ``passphrase`` the private keys (and the TLS key) are sealed under it
    (docs/keys.md); None keeps them raw, as ``--unprotected-keys`` asks.
    With ``signing_token`` the signing key is generated in that PKCS#11 token
    (logged in with ``pin``, or the PIN the environment gives), and only the
    encryption key (and a separate TLS key) is kept in the directory.

    With ``master_token`` the terminal is two-tier with its master key
    generated in that token (logged in with ``pin``); the operational keys
    stay in software, certified by it, but for the signing key when
    ``signing_token`` is given too: it is generated in its token then.

    ``console`` (HOST:PORT) is where ``hotline run`` serves the web console; None for none.
    ``store_url`` (``postgresql://…``) keeps the state in that database, which must
    exist and hold no terminal yet; None for ``DIR/hotline.db`` (SQLite).
    """
    clock = clock or SystemClock()
    paths = TerminalPaths(directory)
    if paths.config.exists() or paths.database.exists() or paths.keys.exists():
        raise AlreadyInitialised(f"{directory} already holds a terminal")
    settings = Settings(
        party=party,
        timezone=check_timezone(timezone),
        listen=check_listen(listen),
        console=check_console(console),
        link=LinkSettings(),
        store_url=check_store_url(store_url),
        metrics=check_metrics(metrics),
        console_tls=True,  # with the certificate made below
        signing_token=signing_token,
    )
    if signing_token is None:
        identity = Identity.generate(party)  # validates the party name
    else:
        validate_party(party)  # before a key is made in the token
        identity = Identity(
            party=party,
            signer=generate_signing_key(signing_token, pin),
            encryption_key=X25519PrivateKey.generate(),
        )
    private_dir(directory)
    private_dir(paths.keys)
    identity.save(paths.keys, passphrase=passphrase)
    sealed = passphrase is not None
    tiers = None
    # A signing key in a token is single-tier, unless the master is in a token too.
    if two_tier and (signing_token is None or master_token is not None):
        tiers = create_tiers(
            paths,
            identity,
            passphrase=passphrase,
            now=clock.now(),
            master_token=master_token,
            pin=pin,
        )
    else:
        _write_tls_files(paths, identity, sealed=sealed)
    if settings.store_url is None:
        # Created here, owner-only: SQLite then gives its -wal and -shm files
        # the database file's mode, whatever the umask.
        private_file(paths.database)
    make_console_certificate(paths, settings.console, now=clock.now())
    store = open_store(settings.store_url or paths.database)
    if settings.store_url is not None and store.get_party() is not None:
        store.close()
        raise AlreadyInitialised("the PostgreSQL database of --store already holds a terminal")
    stamp = format_utc(clock.now())
    store.set_party(
        PartyRecord(
            party=party,
            signing_key=identity.signing_public,
            encryption_key=identity.encryption_public,
            routes=settings.listen,
            timezone=settings.timezone,
            created_at=stamp,
        )
    )
    files = TerminalFiles(
        paths=paths,
        settings=settings,
        identity=identity,
        store=store,
        keys_sealed=sealed,
        tiers=tiers,
    )
    store.append_journal(
        kind="terminal initialised",
        at=stamp,
        data={
            "party": party,
            "fingerprint": files.card().fingerprint,
            "listen": list(settings.listen),
            "keys": "sealed" if sealed else "unprotected",
            "signing_key": identity.signer.describe(),
            "operational_keys": [] if tiers is None else [c.key_id for c in tiers.current()],
        },
    )
    # Written last: a directory with hotline.toml is a complete terminal.
    write_private(paths.config, render_settings(settings).encode("utf-8"))
    return files


def _write_tls_files(paths: TerminalPaths, identity: Identity, *, sealed: bool) -> None:
    private_dir(paths.tls)
    # Sealed keys: the PEM is encrypted too, so no plaintext key is ever on disk.
    password = identity.tls_key_password() if sealed else None
    if identity.in_software:
        certificate = make_tls_certificate(identity)
        key_pem = private_key_pem(identity, password=password)
    else:
        # ssl cannot handshake with a key in a token: a TLS key of its own,
        # certified by the token's signing key (docs/keys.md, "Hardware tokens").
        tls_key = Ed25519PrivateKey.generate()
        certificate = make_tls_leaf(identity, tls_key)
        key_pem = private_key_pem(identity, password=password, key=tls_key)
    write_private(paths.certificate, _certificate_pem(certificate).encode())
    write_private(paths.tls_key, key_pem)


def _open_identity(
    settings: Settings,
    paths: TerminalPaths,
    *,
    secret: bytes | None,
    pin: Pin | None,
) -> Identity:
    if settings.signing_token is None:
        identity = Identity.load(settings.party, paths.keys, passphrase=secret)
        # After a rotation of the signing key, the party's address stays its first one
        # (certified by the first master, when the master has changed since).
        return with_address(identity, certificate_history(paths))
    # After a rotation of a signing key held in a token, keys/signing.token names the
    # key in use (config/rotation.py); hotline.toml keeps the first one's label.
    rotated = read_token_file(paths.keys / SIGNING_TOKEN_FILE)
    signer = open_signer(settings.signing_token if rotated is None else rotated[0], pin)
    try:
        identity = Identity.load(settings.party, paths.keys, passphrase=secret, signer=signer)
    except BaseException:
        signer.close()
        raise
    return with_address(identity, certificate_history(paths))


def open_terminal(
    directory: Path,
    *,
    passphrase: Passphrase | None = None,
    pin: Pin | None = None,
    key_sealer: bool = False,
) -> TerminalFiles:
    """Open an initialised terminal directory; :class:`NotInitialised` if it is not one.

    A signing key in a PKCS#11 token (``[keys]``) is opened with ``pin``, or
    the one the environment gives (:func:`~hotline.terminal.config.token.find_pin`):
    :class:`~hotline.errors.TokenUnavailable` in one line if it cannot be.

    Sealed keys are opened with ``passphrase``, or else with the one the
    environment gives (:func:`~hotline.terminal.config.passphrase.find_passphrase`):
    :class:`~hotline.errors.PassphraseMissing` naming every source tried if
    none does, :class:`~hotline.errors.WrongPassphrase` naming the source if
    it does not open them.

    ``key_sealer`` (the daemon) derives the :attr:`TerminalFiles.key_sealer`
    that seals a rotated key: one Argon2id run, so only when asked; and opens
    a signing key a stop left staged (:attr:`TerminalFiles.staged_signing`).
    """
    paths = TerminalPaths(directory)
    if not paths.is_initialised():
        raise NotInitialised(
            f"{directory} is not a hotline terminal (create one with: hotline init)"
        )
    settings = load_settings(paths.config)
    # A rotation a crash interrupted is completed (or left unused) first: the
    # signing key's files must be settled before they are opened. Likewise a master
    # change (config/masterchange.py).
    finish_rotation(paths)
    finish_master_change(paths)
    sealed = Identity.keys_sealed(paths.keys)
    if sealed and passphrase is None:
        passphrase = find_passphrase()
        if passphrase is None:
            raise passphrase_missing(f"{directory} holds sealed keys: opening it")
    # Before the keys are read: an encryption-key rotation that reached its
    # marker has happened, and its new key is the current one.
    finish_encryption_rotation(paths)
    try:
        identity = _open_identity(
            settings,
            paths,
            secret=passphrase.secret if sealed and passphrase else None,
            pin=pin,
        )
    except WrongPassphrase as exc:
        source = passphrase.source if passphrase else "none"
        raise WrongPassphrase(
            f"the passphrase from {source} does not open the keys in {directory} "
            "(a wrong passphrase, or a changed key file)"
        ) from exc
    # A URL's database is opened without creating a schema: a typo must not
    # leave an empty terminal in someone else's database.
    if settings.store_url is not None:
        store = open_store(settings.store_url, create=False)
    else:
        store = open_store(paths.database)
    party = store.get_party()
    if party is None or party.signing_key != identity.signing_public:
        store.close()
        raise NotInitialised(f"{directory}: the store and the keys belong to different terminals")
    try:
        # Before the tiers are read: it may add the staged key's certificate.
        staged = (
            read_staged_signing(
                paths,
                settings.party,
                passphrase=passphrase.secret if sealed and passphrase else None,
            )
            if key_sealer
            else None
        )
        tiers = load_tiers(
            paths,
            settings.party,
            passphrase=passphrase.secret if sealed and passphrase else None,
            pin=pin,
        )
    except BaseException:
        store.close()
        raise
    secret = passphrase.secret if sealed and passphrase else None
    try:
        identity.previous_encryption_keys = load_retired_encryption_keys(
            paths, settings.party, passphrase=secret
        )
    except BaseException:
        store.close()
        raise
    # Derived once here, so that the running terminal can seal a rotated key
    # (docs/keys.md §7) without holding the passphrase itself.
    sealer = SealingKey(secret) if key_sealer and secret is not None and tiers is not None else None
    if not paths.tls_key.exists() or not paths.certificate.exists():
        if tiers is None:
            _write_tls_files(paths, identity, sealed=sealed)
        else:
            tiers = renew_tls(paths, identity, tiers, sealed=sealed, now=SystemClock().now())
    return TerminalFiles(
        paths=paths,
        settings=settings,
        identity=identity,
        store=store,
        keys_sealed=sealed,
        tiers=tiers,
        key_sealer=sealer,
        staged_signing=staged if tiers is not None else None,
    )


def parse_card(text: str | bytes) -> PeerCard:
    """Parse and verify a peer card (:class:`~hotline.errors.CardInvalid` if it does not hold)."""
    card = PeerCard.from_json(text)
    check_timezone(card.timezone)
    return card


def add_peer_card(
    files: TerminalFiles, text: str | bytes, *, clock: Clock | None = None, readd: bool = False
) -> PeerAdded:
    """Verify a peer card and add (or refresh) the peer in the store.

    A removed peer (``hotline peer remove``) is refused (:class:`PeerRemoved`)
    unless ``readd``, which clears the removal (journal ``peer re-added``).
    """
    clock = clock or SystemClock()
    card = parse_card(text)
    removal = files.store.peer_removals().get(card.party)
    if removal is not None and not readd:
        raise PeerRemoved(
            f"{card.party} was removed on {removal.removed_at}; to trust it again: "
            "hotline peer add --readd DIR CARD_FILE"
        )
    if card.signing_key == files.identity.signing_public:
        raise PeerConflict("that is this terminal's own card")
    if card.party == files.settings.party:
        raise PeerConflict(f"the card's party {card.party!r} has this terminal's own name")
    stamp = format_utc(clock.now())
    record = PeerRecord(
        party=card.party,
        signing_key=card.signing_key,
        encryption_key=card.encryption_key,
        routes=card.routes,
        timezone=card.timezone,
        certificate=card.certificate,
        card_json=card.to_json(),
        fingerprint=card.fingerprint,
        added_at=stamp,
    )
    with files.store.transaction():
        if removal is not None and files.store.clear_peer_removal(card.party):
            files.store.append_journal(
                kind="peer re-added",
                at=stamp,
                data={
                    "party": card.party,
                    "fingerprint": card.fingerprint,
                    "removed_at": removal.removed_at,
                },
            )
        new = files.store.add_peer(record)
        files.store.append_journal(
            kind="peer added" if new else "peer card refreshed",
            at=stamp,
            data={
                "party": card.party,
                "fingerprint": card.fingerprint,
                "routes": list(card.routes),
            },
        )
    stored = files.store.get_peer(card.party)
    if stored is None:  # pragma: no cover - the store just wrote it
        raise StoreError("the peer vanished from the store")
    return PeerAdded(peer=stored, new=new)
