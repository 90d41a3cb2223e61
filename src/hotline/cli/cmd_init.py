"""``hotline init DIR --party NAME --listen HOST:PORT [...] [--timezone ZONE] [--console HOST:PORT] [--metrics HOST:PORT] [--store URL]``."""

from __future__ import annotations

import argparse

from hotline.cli._common import Verbs, add_directory
from hotline.terminal import init_terminal
from hotline.terminal.config.console_tls import console_tls

__all__ = ["register", "run"]


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser(
        "init", help="create this party's terminal: identity keys, settings, store"
    )
    add_directory(parser)
    parser.add_argument("--party", required=True, help="the party's name, e.g. Washington")
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
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    files = init_terminal(
        args.directory,
        party=args.party,
        listen=args.listen,
        timezone=args.timezone,
        console=args.console,
        store_url=args.store,
        metrics=args.metrics,
    )
    card = files.card()
    files.store.close()
    print(f"initialised {card.party} in {args.directory}")
    print(f"fingerprint: {card.fingerprint}")
    print(f"listening on: {', '.join(card.routes)} (time zone {card.timezone})")
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
