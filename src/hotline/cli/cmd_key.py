"""``hotline key list DIR [--json]``, ``hotline key rotate DIR [--which KIND]``: the terminal's keys.

``list`` shows the master key and the operational keys it certified.
``rotate`` asks the running terminal (its control API) for a new operational
key, certified by the master and announced to every peer as a key event
(docs/keys.md, "Rotation").

Reads only public data (the card's master key and ``keys/certificates.cbor``),
so it needs no passphrase and works while the terminal runs. A single-tier
terminal (made before two tiers, ``--single-tier``, or with its signing key in
a token) has one identity key, which is its master and signs everything.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from hotline.cli._common import Verbs, add_directory, print_json
from hotline.crypto import b64url_encode, master_fingerprint
from hotline.errors import NotInitialised
from hotline.terminal import TerminalPaths, load_settings
from hotline.terminal.client import ControlClient
from hotline.terminal.config.tiers import read_certificates

__all__ = ["register", "run_list", "run_rotate"]


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser(
        "key", help="the terminal's keys: the master and its operational keys"
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser(
        "list", help="show the master key and each operational key: id, kind, validity, state"
    )
    add_directory(listing)
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=run_list)
    rotate = actions.add_parser(
        "rotate",
        help="give the running terminal a new operational key, certified by the master "
        "and announced to every peer",
    )
    add_directory(rotate)
    rotate.add_argument(
        "--which",
        choices=("signing", "encryption", "tls", "all"),
        default="tls",
        help="which key to rotate (this version rotates tls and encryption; default: tls)",
    )
    rotate.add_argument("--json", action="store_true", help="print JSON")
    rotate.set_defaults(handler=run_rotate)


def run_rotate(args: argparse.Namespace) -> int:
    # Through the running terminal only: it holds the opened master key, and the
    # new key is announced to the peers over its lines.
    client = ControlClient(args.directory)
    try:
        result = client.rotate_keys(args.which)
    finally:
        client.close()
    if args.json:
        print_json(result)
        return 0
    for key in result["keys"]:
        print(
            f"rotated the {key['kind']} key: {key['id']} #{key['serial']}, "
            f"certified until {key['not_after']}"
        )
    told = ", ".join(result["announced_to"]) or "no peer"
    print(f"announced to {told}")
    return 0


def _utc(seconds: int) -> str:
    # Certificates count whole seconds: no fraction to show.
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def run_list(args: argparse.Namespace) -> int:
    paths = TerminalPaths(args.directory)
    if not paths.is_initialised():
        raise NotInitialised(
            f"{args.directory} is not a hotline terminal (create one with: hotline init)"
        )
    party = load_settings(paths.config).party
    certificates = read_certificates(paths)
    now = int(datetime.now(UTC).timestamp())
    newest: dict[str, int] = {}
    for item in certificates:
        newest[item.kind] = max(newest.get(item.kind, 0), item.serial)
    keys: list[dict[str, Any]] = [
        {
            "id": item.key_id,
            "kind": item.kind,
            "serial": item.serial,
            "not_before": _utc(item.not_before),
            "not_after": _utc(item.not_after),
            "state": (
                "superseded"
                if item.serial != newest[item.kind]
                else "current"
                if item.valid_at(now)
                else "expired"
                if now >= item.not_after
                else "not yet valid"
            ),
        }
        for item in certificates
    ]
    document: dict[str, Any] = {"party": party, "tiers": 2 if certificates else 1, "keys": keys}
    if certificates:
        master = certificates[0].master_key
        document["master_key"] = b64url_encode(master)
        document["fingerprint"] = master_fingerprint(party=party, master_key=master)
    if args.json:
        print_json(document)
        return 0
    if not certificates:
        print(
            f"{party}: single-tier: one identity key signs everything "
            "(hotline card DIR shows it; docs/keys.md)"
        )
        return 0
    print(f"{party}: master key {document['master_key']}")
    print(f"fingerprint {document['fingerprint']}")
    for key in keys:
        print(
            f"  {key['id']:<28} {key['kind']:<10} #{key['serial']:<3} "
            f"{key['not_before']} .. {key['not_after']}  {key['state']}"
        )
    return 0
