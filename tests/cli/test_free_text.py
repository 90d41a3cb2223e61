"""Free text through the CLI: unsafe characters refused, a peer's text shown safely (issue 21).

Defects 1 and 8 of the operations issue, reproduced as a new user would:
ANSI sequences, NUL and a right-to-left override were accepted in a message
and printed raw by ``hotline messages``; a multi-line text broke its table;
an incoming message read "delivered" where the console says "received"; and
``notify`` complained about the file before the unknown format.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .helpers import TerminalProcess, hotline, wait_for


def _messages(terminal: TerminalProcess) -> list[dict[str, Any]]:
    shown: list[dict[str, Any]] = json.loads(
        hotline("messages", terminal.directory, "--json").stdout
    )
    return shown


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("x \x1b[31mRED\x1b[0m \x1b]0;pwned\x07", "U+001B ESC"),
        ("nul \x00 inside", "U+0000 NUL"),
        ("pay \u202eevil", "U+202E RIGHT-TO-LEFT OVERRIDE"),
    ],
)
def test_unsafe_characters_are_refused_and_nothing_is_stored(
    pair: tuple[TerminalProcess, TerminalProcess], text: str, named: str
) -> None:
    washington, _moscow = pair
    washington.start()
    if "\x00" in text:
        # A NUL cannot be an argument of a process: it comes on standard input.
        refused = hotline(
            "send", washington.directory, "--to", "Moscow", "-", stdin=text, check=False
        )
    else:
        refused = hotline("send", washington.directory, "--to", "Moscow", text, check=False)
    assert refused.returncode == 1, refused.stderr
    assert named in refused.stderr
    assert "nothing was sent" in refused.stderr
    assert "\x1b" not in refused.stderr
    assert "\u202e" not in refused.stderr
    assert _messages(washington) == []


def test_a_multi_line_text_is_one_row_and_incoming_reads_received(
    pair: tuple[TerminalProcess, TerminalProcess],
) -> None:
    washington, moscow = pair
    washington.start()
    moscow.start()
    hotline("send", washington.directory, "--to", "Moscow", "--wait", "first line\nsecond line")
    wait_for(lambda: len(_messages(moscow)) == 1, what="the message to arrive")
    listed = hotline("messages", moscow.directory).stdout.splitlines()
    assert len(listed) == 1, listed
    assert "first line\u23ce second line" in listed[0]
    assert " received " in listed[0]
    sent = hotline("messages", washington.directory).stdout
    assert " delivered " in sent or " acknowledged " in sent


def test_notify_names_an_unknown_format_before_reading_the_file(tmp_path: Path) -> None:
    refused = hotline(
        "notify",
        tmp_path,
        "--to",
        "Moscow",
        "--format",
        "nosuch",
        "--file",
        tmp_path / "missing.json",
        check=False,
    )
    assert refused.returncode == 1
    assert "nosuch" in refused.stderr
    assert "missing.json" not in refused.stderr
