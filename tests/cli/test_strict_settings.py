"""A hotline.toml the terminal would misread stops ``run`` and ``status`` with one line."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from .helpers import hotline, init_unprotected


def _initialised(tmp_path: Path) -> Path:
    directory = tmp_path / "w"
    init_unprotected(directory, "Washington")
    return directory


def _error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result
    stderr = result.stderr
    assert stderr.count("\n") == 1, stderr
    assert stderr.startswith("hotline: error: ")
    return str(stderr.strip())


@pytest.mark.parametrize("verb", ["run", "status"])
def test_a_misspelt_key_stops_run_and_status(tmp_path: Path, verb: str) -> None:
    directory = _initialised(tmp_path)
    config = directory / "hotline.toml"
    text = config.read_text(encoding="utf-8")
    assert "\nheartbeat_interval = 0.5\n" in text
    config.write_text(text.replace("\nheartbeat_interval =", "\nheartbeat_intervall ="))
    line = _error_line(hotline(verb, directory, check=False))
    assert line == (
        f"hotline: error: {config}: heartbeat_intervall: unknown key in [link]; "
        "did you mean heartbeat_interval?"
    )


@pytest.mark.parametrize("verb", ["run", "status"])
def test_an_unknown_section_stops_run_and_status(tmp_path: Path, verb: str) -> None:
    directory = _initialised(tmp_path)
    config = directory / "hotline.toml"
    config.write_text(config.read_text(encoding="utf-8") + '\n[alarm]\nhook = "true"\n')
    line = _error_line(hotline(verb, directory, check=False))
    assert line.endswith(": [alarm]: unknown section; did you mean [alarms]?")


def test_a_misspelt_override_stops_status(tmp_path: Path) -> None:
    directory = _initialised(tmp_path)
    result = hotline("status", directory, check=False, env={"HOTLINE_TERMINAL_EXERCIZE": "true"})
    assert _error_line(result).endswith(
        ": HOTLINE_TERMINAL_EXERCIZE: unknown key in [terminal]; "
        "did you mean HOTLINE_TERMINAL_EXERCISE?"
    )


def test_good_settings_let_status_reach_for_the_daemon(tmp_path: Path) -> None:
    # Settings (and an override) that hold: status goes on to the control socket,
    # where no terminal runs yet.
    directory = _initialised(tmp_path)
    result = hotline("status", directory, check=False, env={"HOTLINE_LINK_HEARTBEAT_INTERVAL": "2"})
    assert "no terminal is running" in _error_line(result)
