"""``hotline alarms DIR [--json]``: the open alarms about the line, oldest first.

Exit status 0 when none is open and 3 when some are, so a monitoring script
can run it as a check (1 stays "could not ask the terminal").
"""

from __future__ import annotations

import argparse

from hotline.cli._common import Verbs, add_directory, print_json
from hotline.freetext import for_terminal
from hotline.terminal import ControlClient

__all__ = ["ALARMS_OPEN", "register", "run"]

#: Exit status when at least one alarm is open.
ALARMS_OPEN = 3


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("alarms", help="list the open alarms (exit 3 if there are any)")
    add_directory(parser)
    parser.add_argument("--json", action="store_true", help="print a JSON list")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    with ControlClient(args.directory) as client:
        alarms = client.alarms()
    if args.json:
        print_json(alarms)
    elif not alarms:
        print("no open alarms")
    for alarm in [] if args.json else alarms:
        where = alarm["route"] or "whole line"
        print(f"{alarm['since']}  {alarm['kind'].upper():<17} {alarm['peer']:<16} {where}")
        print(f"    {for_terminal(alarm['detail'], one_line=True)}")
    return ALARMS_OPEN if alarms else 0
