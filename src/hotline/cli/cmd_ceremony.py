"""``hotline ceremony DIR --purpose TEXT --present NAME … [--witness NAME …] [--password-file NAME=FILE …]``.

Records a key ceremony into the shared record of a stopped terminal: the
purpose, who was present, the witnesses and the keys the terminal holds,
signed by every participant's person key (a console user's: ``hotline user
add``), each unlocked with its password (the first line of ``FILE``, or asked
for at a terminal). ``hotline ceremony list DIR [--json]`` lists them
(docs/keys.md, "Key ceremony"). ``hotline verify`` checks their signatures.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import UTC, datetime
from pathlib import Path

from hotline.cli._common import Verbs, print_json
from hotline.cli.cmd_user import read_password
from hotline.errors import InvalidArgument
from hotline.terminal.ceremony import Ceremony, ceremonies_in, record_ceremony

__all__ = ["register", "run_ceremony"]


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser(
        "ceremony",
        help="record a key ceremony (who was present, the witnesses, the keys), or list them",
        description="hotline ceremony DIR --purpose TEXT --present NAME … records a ceremony; "
        "hotline ceremony list DIR [--json] lists the recorded ones.",
    )
    parser.add_argument("target", metavar="DIR", help="the terminal directory (or: list DIR)")
    parser.add_argument("directory", nargs="?", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--purpose", metavar="TEXT", help="what the ceremony is for")
    parser.add_argument(
        "--present",
        action="append",
        default=[],
        metavar="NAME",
        help="a console user present, who signs (repeat for each)",
    )
    parser.add_argument(
        "--witness",
        action="append",
        default=[],
        metavar="NAME",
        help="a console user who witnesses and signs (repeat for each)",
    )
    parser.add_argument(
        "--password-file",
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="NAME's password, first line of FILE (otherwise asked for at a terminal)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=run_ceremony)


def _passwords(specs: list[str], names: list[str]) -> dict[str, str]:
    files: dict[str, Path] = {}
    for spec in specs:
        name, sep, file = spec.partition("=")
        if not sep or not name or not file:
            raise InvalidArgument(f"--password-file takes NAME=FILE, not {spec!r}")
        files[name] = Path(file)
    unknown = sorted(set(files) - set(names))
    if unknown:
        raise InvalidArgument(f"--password-file for {', '.join(unknown)}, who is not named")
    passwords: dict[str, str] = {}
    for name in names:
        if name in files:
            passwords[name] = read_password(files[name], confirm=False)
        elif sys.stdin.isatty():
            passwords[name] = getpass.getpass(f"password of {name}: ")
        else:
            raise InvalidArgument(
                f"no password for {name}: every participant signs (--password-file {name}=FILE)"
            )
    return passwords


def run_ceremony(args: argparse.Namespace) -> int:
    if args.directory is not None:
        if args.target != "list":
            raise InvalidArgument(f"unknown ceremony action {args.target!r} (only: list DIR)")
        return _run_list(args.directory, as_json=args.json)
    if args.purpose is None:
        raise InvalidArgument("--purpose TEXT is required to record a ceremony")
    directory = Path(args.target)
    names = [*args.present, *args.witness]
    ceremony = record_ceremony(
        directory,
        purpose=args.purpose,
        present=args.present,
        witnesses=args.witness,
        passwords=_passwords(args.password_file, names),
        now=datetime.now(UTC),
    )
    if args.json:
        print_json(ceremony.to_json())
        return 0
    print(f"recorded key ceremony {ceremony.seq} at {ceremony.at}: {ceremony.purpose}")
    print(f"signed by {', '.join(ceremony.signers)}; {len(ceremony.keys)} keys listed")
    return 0


def _run_list(directory: Path, *, as_json: bool) -> int:
    ceremonies = ceremonies_in(directory)
    if as_json:
        print_json([ceremony.to_json() for ceremony in ceremonies])
        return 0
    if not ceremonies:
        print("no key ceremony recorded")
    for ceremony in ceremonies:
        print(_format(ceremony))
    return 0


def _format(ceremony: Ceremony) -> str:
    lines = [
        f"#{ceremony.seq} {ceremony.at}  {ceremony.purpose}",
        f"  present:   {', '.join(ceremony.present)}",
        f"  witnesses: {', '.join(ceremony.witnesses) or '-'}",
        f"  signed by: {', '.join(ceremony.signers)}",
    ]
    lines.extend(
        f"  key {key.get('id', key.get('kind'))}"
        + (f"  {key['not_before']} .. {key['not_after']}" if "not_before" in key else "")
        for key in ceremony.keys
    )
    return "\n".join(lines)
