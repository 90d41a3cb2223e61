"""``hotline key list DIR [--json]``, ``hotline key rotate DIR [--which KIND]``,
``hotline key revoke DIR --key ID``, ``hotline key change-master DIR``: the terminal's keys.

``list`` shows the master key and the operational keys it certified.
``rotate`` asks the running terminal (its control API) for a new operational
key, certified by the master and announced to every peer as a key event
(docs/keys.md, "Rotation"). ``revoke`` asks it to have the master sign a
revocation of a key and tell every peer, who refuse what that key signs from
then on (docs/keys.md, "Revocation"); the current key of a kind is rotated
first, and the signing key in use is revoked once the terminal has switched
to the new one (``revoke`` waits a little for it, then ``list`` shows it). ``change-master`` asks it for
a new master key, announced to every peer, whose line stays blocked until its
operator confirms the new fingerprint (docs/keys.md, "Changing the master key").

Reads only public data (the card's master key and ``keys/certificates.cbor``),
so it needs no passphrase and works while the terminal runs. A single-tier
terminal (made before two tiers, ``--single-tier``, or with its signing key in
a token) has one identity key, which is its master and signs everything.
"""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hotline.cli._common import Verbs, add_directory, print_json
from hotline.crypto import Identity, b64url_encode, master_fingerprint
from hotline.errors import DaemonNotRunning, InvalidArgument, NotInitialised
from hotline.freetext import for_terminal
from hotline.terminal import TerminalPaths, load_settings
from hotline.terminal.client import ControlClient
from hotline.terminal.config.passphrase import Passphrase, find_passphrase, passphrase_missing
from hotline.terminal.config.revocations import pending_revocation, read_revocations
from hotline.terminal.config.rotation import signing_keys_in_token, staged_signing_certificate
from hotline.terminal.config.tiers import read_certificates
from hotline.terminal.config.token import read_master_token
from hotline.utc import format_utc

__all__ = ["register", "run_change_master", "run_list", "run_revoke", "run_rotate"]


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
        help="which key to rotate (this version rotates tls, signing and encryption; default: tls)",
    )
    rotate.add_argument("--json", action="store_true", help="print JSON")
    rotate.set_defaults(handler=run_rotate)
    revoke = actions.add_parser(
        "revoke",
        help="revoke an operational key (the current one is rotated first): signed by the "
        "master, told to every peer, who refuse what it signs from then on",
    )
    add_directory(revoke)
    revoke.add_argument(
        "--key", required=True, metavar="ID", help="the key's id, as 'hotline key list' shows it"
    )
    revoke.add_argument(
        "--compromised-since",
        metavar="UTC",
        help="when the key may have leaked, e.g. 2026-12-01T08:00:00Z (default: now)",
    )
    revoke.add_argument(
        "--reason", required=True, metavar="TEXT", help="why, for the peers' operators"
    )
    revoke.add_argument("--json", action="store_true", help="print JSON")
    revoke.set_defaults(handler=run_revoke)
    change = actions.add_parser(
        "change-master",
        help="give the running terminal a new master key (a ceremony act): peers block the "
        "line until they confirm the new fingerprint",
    )
    add_directory(change)
    change.add_argument(
        "--passphrase-file",
        type=Path,
        default=None,
        help="the passphrase sealing the keys, to seal the new master under (also: "
        "$HOTLINE_PASSPHRASE_FILE, systemd credential 'passphrase')",
    )
    change.add_argument(
        "--to-software",
        action="store_true",
        help="the master is in a PKCS#11 token: make the new one a key file instead "
        "(sealed like the other keys)",
    )
    change.add_argument("--json", action="store_true", help="print JSON")
    change.set_defaults(handler=run_change_master)


def run_change_master(args: argparse.Namespace) -> int:
    # Through the running terminal: it holds the opened master key, and the change
    # is announced to the peers over its lines (docs/keys.md, "Changing the master key").
    paths = TerminalPaths(args.directory)
    passphrase = None
    if paths.is_initialised() and Identity.keys_sealed(paths.keys):
        found = find_passphrase(args.passphrase_file)
        if found is None and sys.stdin.isatty():
            typed = getpass.getpass("passphrase for the private keys: ")
            found = Passphrase(secret=typed.encode("utf-8"), source="the prompt")
        if found is None:
            raise passphrase_missing(f"{args.directory} holds sealed keys: a new master key")
        passphrase = found.secret
    client = ControlClient(args.directory)
    try:
        result = client.change_master(passphrase, to_software=args.to_software)
    finally:
        client.close()
    if args.json:
        print_json(result)
        return 0
    print(
        f"changed the master key of {args.directory}: the old one is kept as keys/{result['archived_as']}"
    )
    print(f"NEW fingerprint: {result['fingerprint']}")
    print(f"(old fingerprint: {result['old_fingerprint']})")
    told = ", ".join(result["announced_to"]) or "no peer"
    print(f"announced to {told}: each blocks the line until it confirms the new fingerprint.")
    print(
        "Read the NEW fingerprint to every peer's operator over a channel you both trust "
        "(telephone, video, in person); each then runs: hotline peer confirm DIR "
        "<our party> --fingerprint ... --method ... --by ..."
    )
    return 0


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


def _parse_since(text: str) -> str:
    # Any ISO 8601 time with Z, an offset or none (taken as UTC), to the API's exact form.
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidArgument(
            f"--compromised-since {text!r} is not a UTC time like 2026-12-01T08:00:00Z"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return format_utc(moment.astimezone(UTC))


def run_revoke(args: argparse.Namespace) -> int:
    # Through the running terminal only, as rotate: it holds the opened master
    # key, and the peers are told over its lines.
    since = None if args.compromised_since is None else _parse_since(args.compromised_since)
    client = ControlClient(args.directory)
    try:
        result = client.revoke_key(args.key, reason=args.reason, compromised_since=since)
    except DaemonNotRunning:
        raise DaemonNotRunning(
            f"no terminal is running in {args.directory}: revoking a key needs it running "
            "(its master key signs the revocation, and its peers are told over its lines); "
            f"start it with: hotline run {args.directory}"
        ) from None
    finally:
        client.close()
    if args.json:
        print_json(result)
        return 0
    key = result["key"]
    for rotated in result.get("rotated", []):
        print(
            f"rotated the {rotated['kind']} key first: {rotated['id']} #{rotated['serial']}, "
            f"certified until {rotated['not_after']}"
        )
    done = (
        f"revoked the {key['kind']} key {key['id']}, compromised since "
        f"{key['compromised_since']}: {for_terminal(key['reason'])}"
    )
    if not result.get("pending"):
        print(done)
        told = ", ".join(result["announced_to"]) or "no peer"
        print(f"announced to {told}")
        return 0
    print(
        f"{key['id']} signs until every peer has receipted the new signing key; "
        "its revocation is announced then, signed by the new key"
    )
    if _wait_revoked(TerminalPaths(args.directory), key["id"]):
        print("switched to the new signing key")
        print(done)
        print("announced to every peer (hotline key list shows it revoked)")
    else:
        print(
            f"still waiting for the peers' receipts: the terminal announces the revocation "
            f"once they arrive (hotline key list {args.directory} shows it 'revocation pending')"
        )
    return 0


#: How long ``key revoke`` of the signing key in use waits for the switch before leaving
#: it to the running terminal.
REVOKE_WAIT_SECONDS = 20.0


def _wait_revoked(paths: TerminalPaths, key_id: str) -> bool:
    """True once the terminal has kept the revocation of ``key_id`` (after its switch)."""
    deadline = time.monotonic() + REVOKE_WAIT_SECONDS
    while True:
        if any(item.key_id == key_id for item in read_revocations(paths)):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)


def _utc(seconds: int) -> str:
    # Certificates count whole seconds: no fraction to show.
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def run_list(args: argparse.Namespace) -> int:
    paths = TerminalPaths(args.directory)
    if not paths.is_initialised():
        raise NotInitialised(
            f"{args.directory} is not a hotline terminal (create one with: hotline init)"
        )
    settings = load_settings(paths.config)
    party = settings.party
    certificates = read_certificates(paths)
    now = int(datetime.now(UTC).timestamp())
    revoked = {r.key_id: r for r in read_revocations(paths)}
    waiting = pending_revocation(paths)
    # A signing key staged and not yet switched to does not sign yet: the one before is current.
    staged = staged_signing_certificate(paths)
    newest: dict[str, int] = {}
    for item in certificates:
        if item != staged:
            newest[item.kind] = max(newest.get(item.kind, 0), item.serial)
    keys: list[dict[str, Any]] = [
        {
            "id": item.key_id,
            "kind": item.kind,
            "serial": item.serial,
            "not_before": _utc(item.not_before),
            "not_after": _utc(item.not_after),
            "state": (
                "staged"
                if item == staged
                else "superseded"
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
    # Signing keys held in a token, the old ones too (kept there, never destroyed).
    in_token = signing_keys_in_token(paths, settings.signing_token)
    for key, item in zip(keys, certificates, strict=True):
        where = in_token.get(item.public_key) if item.kind == "signing" else None
        if where is not None:
            key["in"] = f"token {where.token_label} (key {where.key_label!r})"
    for key in keys:
        revocation = revoked.get(key["id"])
        if revocation is not None:
            key["state"] = "revoked"
            key["compromised_since"] = _utc(revocation.compromised_since)
            key["revoked_at"] = _utc(revocation.revoked_at)
            key["reason"] = revocation.reason
        elif waiting is not None and waiting.key_id == key["id"]:
            # Signed, announced once the terminal has switched to the new signing key.
            key["state"] = "revocation pending"
            key["compromised_since"] = _utc(waiting.compromised_since)
            key["reason"] = waiting.reason
    document: dict[str, Any] = {"party": party, "tiers": 2 if certificates else 1, "keys": keys}
    if certificates:
        master = certificates[0].master_key
        document["master_key"] = b64url_encode(master)
        document["fingerprint"] = master_fingerprint(party=party, master_key=master)
        # Where the master lives: public (keys/master.token), so no PIN is asked.
        token = read_master_token(paths.keys)
        document["master_in"] = "software" if token is None else f"token {token.token_label}"
    if args.json:
        print_json(document)
        return 0
    if not certificates:
        print(
            f"{party}: single-tier: one identity key signs everything "
            "(hotline card DIR shows it; docs/keys.md)"
        )
        return 0
    print(f"{party}: master key {document['master_key']} (in {document['master_in']})")
    print(f"fingerprint {document['fingerprint']}")
    for key in keys:
        state = key["state"]
        if state in ("revoked", "revocation pending"):
            state = (
                f"{state} (compromised since {key['compromised_since']}: "
                f"{for_terminal(key['reason'])})"
            )
        print(
            f"  {key['id']:<28} {key['kind']:<10} #{key['serial']:<3} "
            f"{key['not_before']} .. {key['not_after']}  {state}"
            + (f"  in {key['in']}" if "in" in key else "")
        )
    return 0
