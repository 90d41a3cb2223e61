"""Small helpers shared by the verbs: the DIR argument, JSON output, reading text."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path
from typing import Any

from hotline.errors import InvalidArgument, PassphraseMissing

__all__ = ["add_directory", "print_json", "read_text_argument", "recipients_argument"]

# argparse's own type for the subparsers object is private; this is what register() receives.
Verbs = Any


def add_directory(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", metavar="DIR", type=Path, help="the terminal's directory")


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def read_text_argument(words: list[str]) -> str:
    """The message text: the words joined by spaces, or standard input for ``-``."""
    if words == ["-"]:
        return sys.stdin.read()
    return " ".join(words)


def recipients_argument(parties: list[str]) -> list[str]:
    """The parties of repeated ``--to`` options; InvalidArgument if one is given twice.

    Refused, not merged: a repeated ``--to`` is usually a slip for another party.
    """
    twice = sorted({party for party in parties if parties.count(party) > 1})
    if twice:
        raise InvalidArgument(f"--to {', '.join(twice)} given more than once; nothing was sent")
    return parties


#: Shorter passphrases are refused when typed: they fall to a guessing attack
#: on a stolen directory even behind Argon2id. (A file may hold any: a script chose it.)
MIN_TYPED_PASSPHRASE = 12


def ask_new_passphrase(*, what: str, outcome: str) -> bytes:
    """A new passphrase typed twice at a terminal; ``outcome`` ends each refusal.

    ``what`` names it in the first prompt ("passphrase for the private keys");
    ``outcome`` says what a refusal leaves ("nothing was created").
    """
    first = getpass.getpass(f"{what}: ")
    if len(first) < MIN_TYPED_PASSPHRASE:
        raise InvalidArgument(
            f"a passphrase must be at least {MIN_TYPED_PASSPHRASE} characters; {outcome}"
        )
    if getpass.getpass(f"{what}, again: ") != first:
        raise PassphraseMissing(f"the two passphrases differ; {outcome}")
    return first.encode("utf-8")
