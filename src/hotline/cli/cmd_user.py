"""``hotline user add DIR NAME --role ROLE`` and ``hotline user list DIR``: console accounts.

The password comes from a prompt (asked twice) or from the first line of
``--password-file``; it is never a command-line argument (other users of the
machine could read it in the process list). A running terminal takes the new
user through its control API; a stopped one is written directly.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from hotline.cli._common import Verbs, add_directory, print_json
from hotline.errors import DaemonNotRunning, InvalidArgument
from hotline.terminal import ControlClient, Role, SystemClock, open_terminal
from hotline.terminal.desks.accounts import create_user, user_json

__all__ = ["read_password", "register", "run_add", "run_list"]


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("user", help="manage the web console's users")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add a console user with a role")
    add_directory(add)
    add.add_argument("name", metavar="NAME", help="the user's name, e.g. j.smith")
    add.add_argument(
        "--role",
        required=True,
        choices=[r.value for r in Role],
        help="operator (sends, acknowledges), principal (reads, acknowledges), "
        "auditor (reads), admin (manages peers and users)",
    )
    add.add_argument(
        "--password-file",
        type=Path,
        metavar="FILE",
        help="read the password from the first line of FILE instead of a prompt",
    )
    add.add_argument(
        "--language", default="en", choices=["en", "id", "ru"], help="interface language"
    )
    add.set_defaults(handler=run_add)
    listing = actions.add_parser("list", help="list the console's users")
    add_directory(listing)
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=run_list)


def read_password(path: Path | None, *, confirm: bool) -> str:
    """The password from ``path``'s first line, or from a prompt (twice if ``confirm``)."""
    if path is not None:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidArgument(f"cannot read password file {path}: {exc}") from exc
        if not lines or not lines[0]:
            raise InvalidArgument(f"password file {path} is empty")
        return lines[0]
    if not sys.stdin.isatty():
        raise InvalidArgument("no terminal to ask for a password on: use --password-file")
    password = getpass.getpass("password: ")
    if confirm and getpass.getpass("again: ") != password:
        raise InvalidArgument("the two passwords differ")
    return password


def run_add(args: argparse.Namespace) -> int:
    password = read_password(args.password_file, confirm=True)
    client = ControlClient(args.directory)
    try:
        user = client.add_user(
            name=args.name, role=args.role, password=password, language=args.language
        )
    except DaemonNotRunning:
        files = open_terminal(args.directory)
        try:
            user = user_json(
                create_user(
                    files.store,
                    _clock(),
                    name=args.name,
                    role=args.role,
                    password=password,
                    language=args.language,
                )
            )
        finally:
            files.store.close()
    finally:
        client.close()
    print(f"added user {user['name']} ({user['role']}, language {user['language']})")
    print(f"signing key: {user['signing_key']}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    files = open_terminal(args.directory)
    try:
        users = [user_json(u) for u in files.store.list_users()]
    finally:
        files.store.close()
    if args.json:
        print_json(users)
    elif not users:
        print("no users yet (add one with: hotline user add DIR NAME --role operator)")
    for user in [] if args.json else users:
        state = "  DISABLED" if user["disabled"] else ""
        print(
            f"{user['name']:<20} {user['role']:<10} {user['language']}  {user['created_at']}{state}"
        )
    return 0


def _clock() -> SystemClock:
    return SystemClock()
