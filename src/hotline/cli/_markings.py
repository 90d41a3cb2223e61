"""The handling-marking options ``hotline send`` and ``hotline notify`` share.

``--eyes-only NAME`` (repeatable; a console user or ``channel:NAME``),
``--embargoed-until UTC``, ``--not-for-release`` and ``--classification TEXT``
become the body's markings map (docs/protocol/markings.md). They are checked
here, before the daemon is asked, so a typo is reported without a round trip;
the daemon checks the classification against the line's agreed list.
"""

from __future__ import annotations

import argparse
from typing import Any

from hotline.terminal.core.markings import parse_markings

__all__ = ["add_marking_options", "markings_argument"]


def add_marking_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("handling markings (docs/protocol/markings.md)")
    group.add_argument(
        "--eyes-only",
        action="append",
        default=[],
        metavar="NAME",
        help="only this console user (or channel:NAME's members) reads it; repeatable",
    )
    group.add_argument(
        "--embargoed-until",
        metavar="UTC",
        help="not to be made public before this time, e.g. 2026-12-01T18:00Z",
    )
    group.add_argument("--not-for-release", action="store_true", help="mark it NOT FOR RELEASE")
    group.add_argument(
        "--classification",
        metavar="TEXT",
        help="one classification line agreed for the line ([markings] classifications)",
    )


def markings_argument(args: argparse.Namespace) -> dict[str, Any] | None:
    """The markings map the options give, or None when none is set (InvalidArgument if bad)."""
    markings = parse_markings(
        eyes_only=args.eyes_only,
        embargoed_until=args.embargoed_until,
        not_for_release=args.not_for_release,
        classification=args.classification,
    )
    return None if markings is None else markings.to_body()
