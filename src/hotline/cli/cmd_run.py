"""``hotline run DIR [--passphrase-file F]``: run the terminal in the foreground until SIGTERM or Ctrl-C.

Sealed keys are opened first, before anything starts: a wrong or missing
passphrase exits 2 with one line naming the sources tried. Run at a terminal
with no passphrase source, it asks for the passphrase once.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from pathlib import Path

from hotline.cli._common import Verbs, add_directory
from hotline.crypto import Identity
from hotline.terminal import TerminalPaths, load_settings, run_terminal
from hotline.terminal.config.passphrase import Passphrase, find_passphrase
from hotline.terminal.config.paths import private_file

__all__ = ["register", "run"]


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser(
        "run", help="run the terminal (foreground; stop with Ctrl-C or SIGTERM)"
    )
    add_directory(parser)
    parser.add_argument("--verbose", "-v", action="store_true", help="log debug detail")
    parser.add_argument(
        "--passphrase-file",
        metavar="FILE",
        type=Path,
        help="the passphrase sealing the keys (also: $HOTLINE_PASSPHRASE_FILE, systemd "
        "credential 'passphrase')",
    )
    parser.set_defaults(handler=run)


def _configure_logging(paths: TerminalPaths, verbose: bool) -> None:
    formatter = logging.Formatter(
        "%(asctime)sZ %(name)s %(levelname)s %(message)s", "%Y-%m-%dT%H:%M:%S"
    )
    formatter.converter = __import__("time").gmtime
    root = logging.getLogger("hotline")
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    private_file(paths.log)  # the log names peers and addresses: owner-only
    for handler in (
        logging.StreamHandler(sys.stderr),
        logging.FileHandler(paths.log, encoding="utf-8"),
    ):
        handler.setFormatter(formatter)
        root.addHandler(handler)


def _passphrase(args: argparse.Namespace, paths: TerminalPaths) -> Passphrase | None:
    """The passphrase from its sources; at a terminal, asked for once if the keys need one."""
    found = find_passphrase(args.passphrase_file)
    if (
        found is None
        and sys.stdin.isatty()
        and paths.is_initialised()
        and Identity.keys_sealed(paths.keys)
    ):
        typed = getpass.getpass("passphrase for the private keys: ")
        if typed:
            found = Passphrase(secret=typed.encode("utf-8"), source="the prompt")
    return found


def run(args: argparse.Namespace) -> int:
    paths = TerminalPaths(args.directory)
    passphrase = _passphrase(args, paths)
    if paths.is_initialised():
        _configure_logging(paths, args.verbose)
    settings = load_settings(paths.config) if paths.is_initialised() else None
    console = None
    if settings is not None and settings.console is not None:
        # Imported only when wanted: the console pulls in Jinja2 and Babel.
        from hotline.console import serve_console

        console = serve_console
    asyncio.run(run_terminal(args.directory, extra=console, passphrase=passphrase))
    return 0
