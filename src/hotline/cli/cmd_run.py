"""``hotline run DIR [--passphrase-file F] [--pin-file F]``: run the terminal until SIGTERM or Ctrl-C.

Sealed keys are opened first, before anything starts: a wrong or missing
passphrase exits 2 with one line naming the sources tried; so does a signing
key in a PKCS#11 token that cannot be opened (no module, token, key or PIN,
or a wrong PIN; docs/keys.md). Run at a terminal
with no passphrase source, it asks for the passphrase once.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from pathlib import Path

from hotline.cli._common import Verbs, add_directory
from hotline.crypto import Identity
from hotline.terminal import TerminalPaths, load_settings, run_terminal
from hotline.terminal.config.passphrase import Passphrase, find_passphrase
from hotline.terminal.config.token import find_pin, read_master_token
from hotline.terminal.logs import LOG_FORMATS, configure_logging

__all__ = ["register", "run"]


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser(
        "run", help="run the terminal (foreground; stop with Ctrl-C or SIGTERM)"
    )
    add_directory(parser)
    parser.add_argument("--verbose", "-v", action="store_true", help="log debug detail")
    parser.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        help="text lines or JSON objects, one per line (default: [log] format, else text)",
    )
    parser.add_argument(
        "--log-file",
        metavar="PATH",
        help="the log file (default DIR/terminal.log; reopened when logrotate moves it); "
        "'-' for stderr only (under systemd: the journal)",
    )
    parser.add_argument(
        "--passphrase-file",
        metavar="FILE",
        type=Path,
        help="the passphrase sealing the keys (also: $HOTLINE_PASSPHRASE_FILE, systemd "
        "credential 'passphrase')",
    )
    parser.add_argument(
        "--pin-file",
        metavar="FILE",
        type=Path,
        help="the PIN of the token holding the signing key (also: $HOTLINE_PKCS11_PIN_FILE, "
        "systemd credential 'pkcs11-pin')",
    )
    parser.set_defaults(handler=run)


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
    settings = load_settings(paths.config) if paths.is_initialised() else None
    if settings is not None:
        log_file = None if args.log_file == "-" else Path(args.log_file or paths.log)
        configure_logging(
            log_file, verbose=args.verbose, log_format=args.log_format or settings.log_format
        )
    console = None
    if settings is not None and settings.console is not None:
        # Imported only when wanted: the console pulls in Jinja2 and Babel.
        from hotline.console import serve_console

        console = serve_console
    pin = None
    if settings is not None and (
        settings.signing_token is not None or read_master_token(paths.keys) is not None
    ):
        pin = find_pin(
            args.pin_file,
            what="the signing key" if settings.signing_token is not None else "the master key",
        )
    asyncio.run(run_terminal(args.directory, extra=console, passphrase=passphrase, pin=pin))
    return 0
