"""``hotline run DIR``: run the terminal in the foreground until SIGTERM or Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from hotline.cli._common import Verbs, add_directory
from hotline.terminal import TerminalPaths, load_settings, run_terminal
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
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    paths = TerminalPaths(args.directory)
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
    asyncio.run(run_terminal(args.directory, extra=console))
    return 0
