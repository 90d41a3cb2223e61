"""``hotline statement draft|revise|sign|show|list|withdraw|export``: joint statements.

A statement (docs/protocol/statements.md) circulates among a conference's
parties. ``ID`` is the statement's id, printed by ``draft`` (its first draft's
id); ``show`` prints the current draft's id too, and any draft's id is taken
wherever ``ID`` is. ``sign`` signs the CURRENT draft as a console user (a
principal or a signatory): their password (prompt, or ``--password-file``)
unlocks their key in the running terminal. ``export`` writes a file that
``hotline audit FILE`` verifies with nothing else, and ``--html`` a printable page.
"""

from __future__ import annotations

import argparse
import base64
from pathlib import Path
from typing import Any

from hotline.cli._common import Verbs, add_directory, print_json
from hotline.cli.cmd_user import read_password
from hotline.errors import InvalidArgument
from hotline.terminal import ControlClient

__all__ = ["format_statement", "register"]


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("statement", help="draft, sign and follow joint statements")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    draft = actions.add_parser("draft", help="draft a statement among a conference's parties")
    add_directory(draft)
    draft.add_argument("--conference", required=True, metavar="NAME", help="name or id")
    draft.add_argument("--title", required=True, metavar="T")
    _text_files(draft)
    draft.add_argument("--authoritative", metavar="LANG", help="the authoritative language")
    draft.add_argument(
        "--policy", type=int, metavar="K", help="parties that must sign (default all)"
    )
    draft.add_argument("--effective", metavar="UTC", help="when it takes effect")
    draft.add_argument("--expires", metavar="UTC", help="expires unless in force by then")
    draft.add_argument(
        "--releases",
        metavar="MESSAGE_ID",
        help="a marked message this statement releases when it is in force",
    )
    draft.set_defaults(handler=_run_draft)

    revise = actions.add_parser("revise", help="a new draft: these languages' texts replaced")
    add_directory(revise)
    revise.add_argument("id", metavar="ID")
    _text_files(revise)
    revise.set_defaults(handler=_run_revise)

    sign = actions.add_parser("sign", help="sign the current draft as a person of this party")
    add_directory(sign)
    sign.add_argument("id", metavar="ID")
    sign.add_argument("--user", required=True, metavar="NAME", help="who signs")
    sign.add_argument(
        "--password-file", type=Path, metavar="FILE", help="the user's password, first line"
    )
    sign.set_defaults(handler=_run_sign)

    show = actions.add_parser("show", help="a statement's state, texts and signatures")
    add_directory(show)
    show.add_argument("id", metavar="ID")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=_run_show)

    listing = actions.add_parser("list", help="list the statements")
    add_directory(listing)
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=_run_list)

    withdraw = actions.add_parser("withdraw", help="withdraw a statement we drafted")
    add_directory(withdraw)
    withdraw.add_argument("id", metavar="ID")
    withdraw.set_defaults(handler=_run_withdraw)

    export = actions.add_parser("export", help="write the self-contained, verifiable file")
    add_directory(export)
    export.add_argument("id", metavar="ID")
    export.add_argument("--output", required=True, type=Path, metavar="FILE")
    export.add_argument("--html", type=Path, metavar="FILE", help="also a printable page")
    export.set_defaults(handler=_run_export)


def _text_files(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--text-file",
        dest="text_files",
        action="append",
        required=True,
        metavar="LANG=FILE",
        help="the text in one language, from a UTF-8 file (repeatable)",
    )


def _texts(specs: list[str]) -> dict[str, str]:
    texts: dict[str, str] = {}
    for spec in specs:
        language, sep, name = spec.partition("=")
        if not sep or not language or not name:
            raise InvalidArgument(f"--text-file {spec!r}: write LANG=FILE, e.g. en=statement.txt")
        if language in texts:
            raise InvalidArgument(f"--text-file: {language} given twice")
        try:
            texts[language] = Path(name).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidArgument(f"cannot read {name}: {exc}") from None
    return texts


def _run_draft(args: argparse.Namespace) -> int:
    fields: dict[str, Any] = {
        "conference": args.conference,
        "title": args.title,
        "texts": _texts(args.text_files),
        "authoritative": args.authoritative,
        "policy": args.policy,
        "effective": args.effective,
        "expires": args.expires,
    }
    if args.releases is not None:
        fields["releases"] = args.releases
    with ControlClient(args.directory) as client:
        statement = client.draft_statement(**fields)
    print(statement["id"])
    return 0


def _run_revise(args: argparse.Namespace) -> int:
    with ControlClient(args.directory) as client:
        statement = client.revise_statement(args.id, _texts(args.text_files))
    print(f"revised {statement['id']}: current draft {statement['current']}")
    return 0


def _run_sign(args: argparse.Namespace) -> int:
    password = read_password(args.password_file, confirm=False)
    with ControlClient(args.directory) as client:
        statement = client.sign_statement(args.id, user=args.user, password=password)
    print(
        f"signed draft {statement['current']} as {args.user}: {statement['state']} "
        f"({statement['signed']}/{statement['policy']['k']} of {statement['policy']['n']})"
    )
    return 0


def _run_show(args: argparse.Namespace) -> int:
    with ControlClient(args.directory) as client:
        statement = client.statement(args.id)
    if args.json:
        print_json(statement)
    else:
        print(format_statement(statement), end="")
    return 0


def _run_list(args: argparse.Namespace) -> int:
    with ControlClient(args.directory) as client:
        statements = client.statements()
    if args.json:
        print_json(statements)
        return 0
    if not statements:
        print("no statements")
    for s in statements:
        print(
            f"{s['id']}  {s['state']:<11} {s['signed']}/{s['policy']['k']} of "
            f"{s['policy']['n']}  {s['title']}"
        )
    return 0


def _run_withdraw(args: argparse.Namespace) -> int:
    with ControlClient(args.directory) as client:
        statement = client.withdraw_statement(args.id)
    print(f"withdrawn {statement['id']}: {statement['state']}")
    return 0


def _run_export(args: argparse.Namespace) -> int:
    with ControlClient(args.directory) as client:
        found = client.statement_export(args.id)
    args.output.write_bytes(base64.b64decode(found["file"]))
    print(f"wrote {args.output}; verify it with: hotline audit {args.output}")
    if args.html is not None:
        args.html.write_text(found["html"], encoding="utf-8")
        print(f"wrote {args.html}")
    return 0


def format_statement(s: dict[str, Any]) -> str:
    """The human form of ``GET /statements/{id}``."""
    lines = [
        f"statement {s['id']}  ({s['title']})",
        f"current draft {s['current']}  ({len(s['drafts'])} draft(s))",
        f"state: {s['state']}  ({s['signed']} signed, policy {s['policy']['k']} of "
        f"{s['policy']['n']})",
        f"conference {s['conference']}; drafted by {s['drafter']} at {s['drafted_at']}",
    ]
    if s["in_force_at"]:
        lines.append(f"in force since {s['in_force_at']}")
    if s["withdrawn_at"]:
        lines.append(f"withdrawn at {s['withdrawn_at']}")
    for key in ("effective", "expires"):
        if s[key]:
            lines.append(f"{key}: {s[key]}")
    if s.get("releases"):
        lines.append(f"releases marked message {s['releases']['message']} when in force")
    lines.append("")
    lines.append("parties:")
    for p in s["parties"]:
        us = " (us)" if p["us"] else ""
        if p["signed"]:
            lines.append(f"  {p['party']}{us}: signed by {p['person']} at {p['signed_at']}")
        else:
            lines.append(f"  {p['party']}{us}: not signed, waiting since {p['waiting_since']}")
    authority = s["authoritative"]
    for language, text in sorted(s["texts"].items()):
        mark = " (authoritative)" if language == authority else ""
        lines += ["", f"--- {language}{mark} ---", text]
    return "\n".join(lines) + "\n"
