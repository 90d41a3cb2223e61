"""Fixtures that run terminals as real processes through the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline.testing.softhsm import SoftToken, token_or_skip

from .helpers import TerminalProcess, free_port, hotline, make_mesh


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[TerminalProcess, TerminalProcess]]:
    """Washington and Moscow, initialised and paired through the CLI, not yet running."""
    dirs = {}
    for party, zone in (("Washington", "America/New_York"), ("Moscow", "Europe/Moscow")):
        dirs[party] = tmp_path / party.lower()
        hotline(
            "init",
            "--unprotected-keys",
            dirs[party],
            "--party",
            party,
            "--listen",
            f"127.0.0.1:{free_port()}",
            "--timezone",
            zone,
        )
    w_card = hotline("card", dirs["Washington"]).stdout
    m_card = hotline("card", dirs["Moscow"]).stdout
    hotline("peer", "add", dirs["Washington"], "-", stdin=m_card)
    hotline("peer", "add", dirs["Moscow"], "-", stdin=w_card)
    terminals = (TerminalProcess(dirs["Washington"]), TerminalProcess(dirs["Moscow"]))
    yield terminals
    for terminal in terminals:
        terminal.stop()


@pytest.fixture
def trio(tmp_path: Path) -> Iterator[dict[str, TerminalProcess]]:
    """Washington, Moscow and London, each paired with the other two, running."""
    terminals = make_mesh(tmp_path, ("Washington", "Moscow", "London"))
    try:
        for terminal in terminals.values():
            terminal.start()
        yield terminals
    finally:
        for terminal in terminals.values():
            terminal.stop()


@pytest.fixture
def token(tmp_path: Path) -> SoftToken:
    """A fresh SoftHSM2 token (the test is skipped where SoftHSM2 is missing)."""
    return token_or_skip(tmp_path / "softhsm")
