"""``hotline conference create|list|show|add|remove``: conferences (docs/protocol/conferences.md).

A conference is convened by this terminal (``create``) or names it (a roster
arrived). ``show`` prints the roster (version, convener, each member's answer
and the links it lacks) and the recent messages as a grid of each
recipient's state. Sending to a conference is ``hotline send DIR --conference
NAME TEXT``.
"""

from __future__ import annotations

import argparse
from typing import Any

from hotline.cli._common import Verbs, add_directory, print_json
from hotline.terminal import ControlClient

__all__ = ["format_conference", "register"]

#: One letter per cell state in the grid, so a row of many parties fits a line.
_CELL = {"queued": "q", "sent": "s", "delivered": "d", "acknowledged": "A"}


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("conference", help="convene and follow conferences")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    create = actions.add_parser("create", help="convene a conference of us and the parties")
    add_directory(create)
    create.add_argument("name", metavar="NAME", help="a-z, 0-9, '_' and '-', up to 32")
    create.add_argument(
        "--party", action="append", required=True, help="a party to invite (at least two)"
    )
    create.add_argument("--json", action="store_true", help="print JSON")
    create.set_defaults(handler=_run_create)

    listing = actions.add_parser("list", help="list the conferences")
    add_directory(listing)
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=_run_list)

    show = actions.add_parser("show", help="a conference's roster, answers and message grid")
    add_directory(show)
    show.add_argument("name", metavar="NAME", help="the conference's name or id")
    show.add_argument("--limit", type=int, default=20, help="how many recent messages")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=_run_show)

    for action, verb in (("add", "add a party to"), ("remove", "remove a party from")):
        change = actions.add_parser(action, help=f"{verb} a conference we convened")
        add_directory(change)
        change.add_argument("name", metavar="NAME", help="the conference's name or id")
        change.add_argument("--party", required=True, help="the party")
        change.add_argument("--json", action="store_true", help="print JSON")
        change.set_defaults(handler=_run_change, change=action)


def _run_create(args: argparse.Namespace) -> int:
    with ControlClient(args.directory) as client:
        conference = client.create_conference(args.name, list(args.party))
    _print(conference, as_json=args.json)
    return 0


def _run_list(args: argparse.Namespace) -> int:
    with ControlClient(args.directory) as client:
        conferences = client.conferences()
    if args.json:
        print_json(conferences)
        return 0
    if not conferences:
        print("no conferences")
    for c in conferences:
        refused = [m["party"] for m in c["members"] if m["answer"] == "refused"]
        note = f"  REFUSED by {', '.join(refused)}" if refused else ""
        note += "" if c["active"] else "  (we were removed)"
        print(
            f"{c['name']:<20} v{c['version']:<3} {c['role']:<8} convener {c['convener']:<12} "
            f"{len(c['members'])} parties  {c['id']}{note}"
        )
    return 0


def _run_show(args: argparse.Namespace) -> int:
    with ControlClient(args.directory) as client:
        conference = client.conference(args.name, limit=args.limit)
    _print(conference, as_json=args.json)
    return 0


def _run_change(args: argparse.Namespace) -> int:
    with ControlClient(args.directory) as client:
        if args.change == "add":
            conference = client.add_conference_party(args.name, args.party)
        else:
            conference = client.remove_conference_party(args.name, args.party)
    _print(conference, as_json=args.json)
    return 0


def _print(conference: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        print_json(conference)
    else:
        print(format_conference(conference), end="")


def format_conference(c: dict[str, Any]) -> str:
    """The human form of ``GET /conferences/{ref}``: roster, answers, then the grid."""
    lines = [
        f"conference {c['name']}  id {c['id']}",
        f"version {c['version']}, convened by {c['convener']}; we are the {c['role']}"
        + ("" if c["active"] else " (removed from the newest roster)"),
        "",
        "members:",
    ]
    for m in c["members"]:
        answer = m["answer"] or "(not known here)"
        missing = f"  missing links: {', '.join(m['missing'])}" if m["missing"] else ""
        us = " (us)" if m["us"] else ""
        lines.append(f"  {m['party'] + us:<20} {answer:<10} {m['fingerprint']}{missing}")
    grid = c.get("grid")
    if grid is not None:
        parties = grid["parties"]
        lines += ["", "messages (q queued, s sent, d delivered, A acknowledged, ! overdue):"]
        if not grid["messages"]:
            lines.append("  none yet")
        else:
            lines.append(
                "  " + f"{'time':<9} {'from':<12} " + " ".join(f"{p[:10]:<10}" for p in parties)
            )
        for row in grid["messages"]:
            cells = []
            for party in parties:
                cell = row["cells"].get(party)
                mark = "" if cell is None else _CELL.get(cell["state"], "?")
                if cell is not None and cell["overdue"]:
                    mark += "!"
                if cell is not None and cell["acknowledged_by"]:
                    mark += f" {cell['acknowledged_by']}"
                cells.append(f"{(mark or '-')[:10]:<10}")
            lines.append(f"  {row['time_group']:<9} {row['from'][:12]:<12} " + " ".join(cells))
        slowest = grid["slowest"]
        if slowest is not None:
            lines.append(
                f"slowest: {slowest['party']} ({slowest['pending']} not yet delivered or overdue)"
            )
    return "\n".join(lines) + "\n"
