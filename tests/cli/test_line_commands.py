"""``hotline status``, ``hotline test`` and ``hotline alarms`` on two real terminals with two routes."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .helpers import TerminalProcess, free_port, hotline, init_unprotected, wait_for

FAST = """
[link]
heartbeat_interval = 0.1
dead_after = 3
reconnect_initial = 0.05
reconnect_cap = 0.5
test_interval = 3600
test_deadline = 2
test_language = "{language}"
"""


@pytest.fixture
def two_route_pair(tmp_path: Path) -> Iterator[tuple[TerminalProcess, TerminalProcess]]:
    dirs = {}
    for party, language in (("Washington", "en"), ("Moscow", "ru")):
        dirs[party] = tmp_path / party.lower()
        hotline(
            "init",
            "--unprotected-keys",
            dirs[party],
            "--party",
            party,
            "--listen",
            f"127.0.0.1:{free_port()}",
            "--listen",
            f"127.0.0.1:{free_port()}",
        )
        config = dirs[party] / "hotline.toml"
        text = config.read_text()
        # Replace the [link] and [alarms] tables written by init with fast ones.
        text = text[: text.index("[link]")] + FAST.format(language=language)
        config.write_text(text)
    hotline("peer", "add", dirs["Washington"], "-", stdin=hotline("card", dirs["Moscow"]).stdout)
    hotline("peer", "add", dirs["Moscow"], "-", stdin=hotline("card", dirs["Washington"]).stdout)
    terminals = (TerminalProcess(dirs["Washington"]), TerminalProcess(dirs["Moscow"]))
    yield terminals
    for terminal in terminals:
        terminal.stop()


def status(terminal: TerminalProcess) -> dict[str, Any]:
    """The ``status --json`` document: JSON, so its values are read without static types."""
    result = json.loads(hotline("status", terminal.directory, "--json").stdout)
    assert isinstance(result, dict)
    return result


def test_status_test_and_alarms_through_the_cli(
    two_route_pair: tuple[TerminalProcess, TerminalProcess],
) -> None:
    washington, moscow = two_route_pair
    washington.start()
    moscow.start()
    wait_for(lambda: status(washington)["peers"][0]["state"] == "up")
    [peer] = status(washington)["peers"]
    assert [r["state"] for r in peer["routes"]] == ["up", "up"]
    assert sum(r["active"] for r in peer["routes"]) == 1
    assert status(washington)["alarms"] == []

    # Both routes pass an on-demand test, from either side, in either script.
    for terminal in (washington, moscow):
        result = hotline("test", terminal.directory)
        lines = result.stdout.strip().splitlines()
        assert len(lines) == 2, result.stdout
        assert all(" PASSED " in line for line in lines), result.stdout
    results = json.loads(hotline("test", moscow.directory, "--json").stdout)
    assert {r["ok"] for r in results} == {True}
    assert all(re.fullmatch(r"ru-.+", r["text_id"]) for r in results)
    assert hotline("alarms", washington.directory).stdout.strip() == "no open alarms"

    # The text form names both routes, marks the carrier and shows the tests.
    text = hotline("status", washington.directory).stdout
    assert "Moscow" in text
    assert text.count("last test") == 2
    assert text.count("* 127.0.0.1:") == 1
    assert "no alarms" in text

    # Moscow gone: the test misses (exit 1), alarms open (exit 3), the line is down.
    moscow.kill()
    missed = hotline("test", washington.directory, check=False)
    assert missed.returncode == 1
    assert missed.stdout.count(" MISSED ") == 2
    wait_for(lambda: status(washington)["peers"][0]["state"] == "down")
    alarms = hotline("alarms", washington.directory, "--json", check=False)
    assert alarms.returncode == 3
    kinds = sorted(a["kind"] for a in json.loads(alarms.stdout))
    assert kinds == ["line-down", "test-missed", "test-missed"]
    down = status(washington)["peers"][0]
    assert [r["last_test"]["ok"] for r in down["routes"]] == [False, False]

    # Moscow back: it learns of Washington's missed tests; a passing test clears them.
    moscow.start()
    wait_for(
        lambda: (
            sorted(a["kind"] for a in status(moscow)["alarms"])
            == ["peer-test-missed", "peer-test-missed"]
        )
    )
    assert hotline("test", washington.directory).returncode == 0
    wait_for(lambda: status(washington)["alarms"] == [] and status(moscow)["alarms"] == [])
    # The alarm notices are on the record as messages of kind "alarm".
    notices = json.loads(hotline("messages", moscow.directory, "--json").stdout)
    assert [m["kind"] for m in notices] == ["alarm", "alarm"]
    assert all(m["channel"] == "line" for m in notices)
    assert hotline("verify", washington.directory).stdout.startswith("verified:")
    assert hotline("verify", moscow.directory).stdout.startswith("verified:")


def test_bad_test_language_is_a_clear_error(tmp_path: Path) -> None:
    directory = tmp_path / "w"
    init_unprotected(directory, "Washington")
    config = directory / "hotline.toml"
    config.write_text(config.read_text().replace('test_language = "en"', 'test_language = "fr"'))
    result = hotline("run", directory, check=False)
    assert result.returncode == 1
    assert "test_language must be one of en, id, ru, not 'fr'" in result.stderr
