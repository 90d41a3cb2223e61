"""``hotline init DIR --party NAME --listen HOST:PORT [...] [--timezone ZONE] [--console HOST:PORT]
[--metrics HOST:PORT] [--store URL] [--passphrase-file F | --unprotected-keys]
[--pkcs11-module PATH --token-label L [--pin-file F] [--master-in-token [--signing-in-token]]]``.

Or ``hotline init DIR --standby-of ACTIVE_DIR --listen HOST:PORT``: the second process of an
active/standby pair on one PostgreSQL store (hotline.terminal.standby, docs/ha.md); it copies
the active directory's keys as they are (sealed keys need the same passphrase source).

The private keys are sealed under a passphrase (docs/keys.md) taken from
``--passphrase-file``, ``$HOTLINE_PASSPHRASE_FILE`` or systemd's credential;
with none of them, an interactive run asks for it twice, and a run without a
terminal on standard input refuses unless ``--unprotected-keys`` says to keep
the keys raw (the demo, the tests, a throwaway terminal).

With ``--pkcs11-module`` and ``--token-label`` the signing key is generated in
that PKCS#11 token, labelled with the party's name, and never leaves it
(hotline.terminal.config.token, docs/keys.md); the PIN comes from
``--pin-file``, ``$HOTLINE_PKCS11_PIN_FILE`` or systemd's ``pkcs11-pin``.
With ``--master-in-token`` it is the MASTER key that is generated there
(labelled ``"<party> master"``); the operational keys stay in software,
certified by it (two tiers). With ``--signing-in-token`` as well, the signing
key is generated in the same token too, certified by the master there.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hotline.cli._common import Verbs, add_directory, ask_new_passphrase
from hotline.crypto import TokenKey
from hotline.errors import AlreadyInitialised, InvalidArgument
from hotline.terminal import TerminalPaths, init_terminal
from hotline.terminal.config.console_tls import console_tls
from hotline.terminal.config.passphrase import find_passphrase, passphrase_missing
from hotline.terminal.config.token import find_pin
from hotline.terminal.standby import init_standby

__all__ = ["register", "run"]


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser(
        "init", help="create this party's terminal: identity keys, settings, store"
    )
    add_directory(parser)
    parser.add_argument("--party", help="the party's name, e.g. Washington (not with --standby-of)")
    parser.add_argument(
        "--listen",
        action="append",
        required=True,
        metavar="HOST:PORT",
        help="address peers reach this terminal on (repeat for several routes)",
    )
    parser.add_argument(
        "--timezone",
        default="UTC",
        metavar="ZONE",
        help="the party's IANA time zone, e.g. Europe/Moscow (default UTC)",
    )
    parser.add_argument(
        "--console",
        metavar="HOST:PORT",
        help="serve the web console here while running (e.g. 127.0.0.1:8301; default none)",
    )
    parser.add_argument(
        "--metrics",
        metavar="HOST:PORT",
        help="serve Prometheus /metrics, /healthz and /readyz here while running "
        "(e.g. 127.0.0.1:9464; default none)",
    )
    parser.add_argument(
        "--store",
        metavar="URL",
        help="keep the terminal's state in this PostgreSQL database (postgresql://user@host/db; "
        "it must exist); default: DIR/hotline.db (SQLite)",
    )
    parser.add_argument(
        "--standby-of",
        metavar="ACTIVE_DIR",
        type=Path,
        help="make DIR the standby process of the PostgreSQL terminal in ACTIVE_DIR: its keys "
        "and settings, listening on --listen; both cards then list both (docs/ha.md)",
    )
    keys = parser.add_mutually_exclusive_group()
    keys.add_argument(
        "--passphrase-file",
        metavar="FILE",
        type=Path,
        help="seal the private keys under the passphrase in FILE (also: $HOTLINE_PASSPHRASE_FILE, "
        "systemd credential 'passphrase'); hotline run needs the same",
    )
    keys.add_argument(
        "--unprotected-keys",
        action="store_true",
        help="keep the private keys unencrypted on disk (demos, tests; see docs/keys.md)",
    )
    parser.add_argument(
        "--single-tier",
        action="store_true",
        help="one identity key that signs everything, and a version-1 card, as hotline made "
        "before two tiers: for peers whose hotline reads only version-1 cards (docs/keys.md)",
    )
    token = parser.add_argument_group("signing key in a PKCS#11 token (docs/keys.md)")
    token.add_argument(
        "--pkcs11-module",
        metavar="PATH",
        help="generate the signing key in a token through this PKCS#11 module "
        "(e.g. /usr/lib/softhsm/libsofthsm2.so)",
    )
    token.add_argument(
        "--token-label", metavar="L", help="the token's label (with --pkcs11-module)"
    )
    token.add_argument(
        "--pin-file",
        metavar="FILE",
        type=Path,
        help="the token's user PIN (also: $HOTLINE_PKCS11_PIN_FILE, systemd credential "
        "'pkcs11-pin'); hotline run needs the same",
    )
    token.add_argument(
        "--master-in-token",
        action="store_true",
        help="generate the MASTER key in the token instead (two tiers: the operational keys "
        "stay in software, certified by it; docs/keys.md)",
    )
    token.add_argument(
        "--signing-in-token",
        action="store_true",
        help="with --master-in-token: generate the signing key in the same token too (two "
        "tiers, both keys in the token; docs/keys.md)",
    )
    parser.set_defaults(handler=run)


def _signing_token(args: argparse.Namespace) -> TokenKey | None:
    if (args.pkcs11_module is None) != (args.token_label is None):
        raise InvalidArgument("--pkcs11-module and --token-label go together")
    if args.pkcs11_module is None:
        if args.pin_file is not None:
            raise InvalidArgument("--pin-file is for a token (--pkcs11-module, --token-label)")
        return None
    if args.standby_of is not None:
        raise InvalidArgument("a standby takes its keys from ACTIVE_DIR; no --pkcs11-module")
    # The key is labelled with the party's name: one token can hold several parties' keys.
    return TokenKey(
        module=str(Path(args.pkcs11_module).absolute()),
        token_label=args.token_label,
        key_label=f"{args.party} master" if args.master_in_token else args.party,
    )


def _passphrase(args: argparse.Namespace) -> bytes | None:
    """The passphrase to seal the keys under, or None for --unprotected-keys."""
    if args.unprotected_keys:
        return None
    found = find_passphrase(args.passphrase_file)
    if found is not None:
        return found.secret
    if not sys.stdin.isatty():
        raise passphrase_missing(
            "hotline init (not interactive; --unprotected-keys keeps the keys unencrypted)"
        )
    return ask_new_passphrase(what="passphrase for the private keys", outcome="nothing was created")


def run(args: argparse.Namespace) -> int:
    signing_token = _signing_token(args)
    master_token = None
    if args.master_in_token:
        if signing_token is None:
            raise InvalidArgument("--master-in-token needs --pkcs11-module and --token-label")
        if args.single_tier:
            raise InvalidArgument("--master-in-token makes two tiers; not with --single-tier")
        master_token, signing_token = signing_token, None
        if args.signing_in_token:
            # Both in the one token, under the one PIN: the signing key labelled with
            # the party's name, as a signing key alone in a token is.
            signing_token = TokenKey(
                module=master_token.module,
                token_label=master_token.token_label,
                key_label=args.party,
            )
    elif args.signing_in_token:
        raise InvalidArgument(
            "--signing-in-token goes with --master-in-token (a signing key alone in a token: "
            "--pkcs11-module and --token-label)"
        )
    if args.standby_of is not None:
        if args.party or args.store:
            raise InvalidArgument("--standby-of takes the party and the store from ACTIVE_DIR")
        standby = init_standby(args.directory, of=args.standby_of, listen=args.listen)
        print(f"initialised the standby of {standby.party} in {args.directory}")
        print(f"routes on the card: {', '.join(standby.card_routes)}")
        print(
            f"next: restart the active process (hotline run {args.standby_of}), hand the new card "
            f"(hotline card {args.directory}) to each peer, then: hotline run {args.directory}"
        )
        return 0
    if not args.party:
        raise InvalidArgument("--party is needed (the party's name, e.g. Washington)")
    paths = TerminalPaths(args.directory)
    if paths.config.exists() or paths.database.exists() or paths.keys.exists():
        # Said before the passphrase is asked for, not after it was typed twice.
        raise AlreadyInitialised(f"{args.directory} already holds a terminal")
    passphrase = _passphrase(args)
    in_token = signing_token is not None or master_token is not None
    pin = find_pin(args.pin_file) if in_token else None
    files = init_terminal(
        args.directory,
        party=args.party,
        listen=args.listen,
        timezone=args.timezone,
        console=args.console,
        store_url=args.store,
        metrics=args.metrics,
        passphrase=passphrase,
        signing_token=signing_token,
        pin=pin,
        two_tier=not args.single_tier,
        master_token=master_token,
    )
    card = files.card()
    files.store.close()
    print(f"initialised {card.party} in {args.directory}")
    print(f"fingerprint: {card.fingerprint}")
    print(f"listening on: {', '.join(card.routes)} (time zone {card.timezone})")
    if passphrase is None:
        print("keys unprotected: stored unencrypted in the terminal directory (docs/keys.md)")
    else:
        print("keys sealed under the passphrase: hotline run needs the same passphrase source")
    if files.tiers is not None:
        print("two tiers: a master key certifies the operational keys (hotline key list)")
    if signing_token is not None:
        print(
            f"signing key in token {signing_token.token_label} (key {signing_token.key_label!r}): "
            "hotline run needs the same PIN source"
        )
    if master_token is not None:
        print(
            f"master key in token {master_token.token_label} (key {master_token.key_label!r}): "
            "hotline run needs the same PIN source"
        )
    if args.console:
        tls = console_tls(files.paths, files.settings)
        scheme = "https" if tls is not None else "http"
        print(
            f"web console: {scheme}://{args.console}/ once running; add its users with: "
            f"hotline user add {args.directory} NAME --role operator"
        )
        if tls is not None:
            print(f"console certificate (SHA-256): {tls.fingerprint}")
    if args.metrics:
        print(f"metrics: http://{args.metrics}/metrics (health: /healthz, /readyz) once running")
    print(
        f"next: hotline card {args.directory} > {card.party.lower().replace(' ', '-')}.card, hand it "
        f"to each peer, add theirs with: hotline peer add {args.directory} PEER.card; "
        f"then: hotline run {args.directory}"
    )
    return 0
